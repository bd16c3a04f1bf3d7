"""Lab app: asks an approved Bedrock model one short question through the Converse API.

The function runs in private subnets without internet access, so the call only succeeds when the
bedrock-runtime interface endpoint (with private DNS) is in place and the role allows it.
"""

from __future__ import annotations

import functools
import os
from typing import Any

DEFAULT_PROMPT = "In one sentence, what does AWS PrivateLink do?"


@functools.cache
def _bedrock_runtime() -> Any:
    """Create the bedrock-runtime client once per execution environment."""
    import boto3
    from botocore.config import Config

    # A short connect timeout turns "no route to Bedrock" into a quick, readable error.
    config = Config(connect_timeout=5, read_timeout=25, retries={"max_attempts": 2})
    return boto3.client("bedrock-runtime", config=config)


def handler(event: dict[str, Any] | None, context: object) -> dict[str, Any]:
    """Send the event's "prompt" (or a default one) to the model named by MODEL_ID.

    Args:
        event: The invocation payload; an optional "prompt" key overrides the default question.
        context: The Lambda context (unused).

    Returns:
        The model id, the answer text and the token usage.
    """
    model_id = os.environ["MODEL_ID"]
    prompt = (event or {}).get("prompt") or DEFAULT_PROMPT
    response = _bedrock_runtime().converse(
        modelId=model_id,
        messages=[{"role": "user", "content": [{"text": prompt}]}],
        inferenceConfig={"maxTokens": 200, "temperature": 0.2},
    )
    blocks = response["output"]["message"]["content"]
    answer = "".join(block.get("text", "") for block in blocks)
    return {"modelId": model_id, "answer": answer, "usage": response.get("usage", {})}
