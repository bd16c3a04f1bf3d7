"""Lab app: asks the lab model one short question, through the inference profile and with the guardrail.

MODEL_ARN names the application inference profile, so the tokens are billed to its CostCenter tag.
GUARDRAIL_ID and GUARDRAIL_VERSION name the published guardrail version; the app role only allows
calls that carry exactly that version, so a call without it is denied.
"""

from __future__ import annotations

import functools
import os
from typing import Any

DEFAULT_PROMPT = "In one sentence, why should an application pin a published guardrail version?"


@functools.cache
def _bedrock_runtime() -> Any:
    """Create the bedrock-runtime client once per execution environment."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=5, read_timeout=25, retries={"mode": "standard", "total_max_attempts": 3})
    return boto3.client("bedrock-runtime", config=config)


def _guardrail_config() -> dict[str, str] | None:
    """The guardrail to apply, or None while the environment names none (the starter's state)."""
    guardrail_id = os.environ.get("GUARDRAIL_ID", "")
    if not guardrail_id:
        return None
    return {
        "guardrailIdentifier": guardrail_id,
        "guardrailVersion": os.environ["GUARDRAIL_VERSION"],
        "trace": "enabled",
    }


def handler(event: dict[str, Any] | None, context: object) -> dict[str, Any]:
    """Send the event's "prompt" (or a default one) to the model named by MODEL_ARN.

    Args:
        event: The invocation payload; an optional "prompt" key overrides the default question.
        context: The Lambda context (unused).

    Returns:
        The model ARN, the answer text, why the model stopped (guardrail_intervened when the
        guardrail blocked the prompt or the answer) and the token usage.
    """
    model_arn = os.environ["MODEL_ARN"]
    prompt = (event or {}).get("prompt") or DEFAULT_PROMPT
    request: dict[str, Any] = {
        "modelId": model_arn,
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": {"maxTokens": 200, "temperature": 0.2},
    }
    guardrail = _guardrail_config()
    if guardrail:
        request["guardrailConfig"] = guardrail
    response = _bedrock_runtime().converse(**request)
    blocks = response["output"]["message"]["content"]
    return {
        "modelArn": model_arn,
        "answer": "".join(block.get("text", "") for block in blocks),
        "stopReason": response.get("stopReason"),
        "usage": response.get("usage", {}),
    }
