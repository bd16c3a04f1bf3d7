"""Finding the anchor of lab aws-bedrock-rag-kb: the knowledge base tagged labcheck-lab=<lab id>.

Everything else is reached from it by reference: the role (roleArn), the data sources and their bucket,
and the vector store (collectionArn or the S3 Vectors index).
"""

from __future__ import annotations

from labcheck.model import LabInputs
from labcheck.providers.aws.discovery import LAB_TAG, single_anchor
from labcheck.providers.aws.view_rag import READ_ACTIONS, KnowledgeBase, RagView

KB_DISCOVERY = READ_ACTIONS["tagged_knowledge_bases"]
"""What finding the lab's knowledge base needs: list, get (for the ARN), then its tags."""


def lab_knowledge_base(aws: RagView, lab: LabInputs) -> KnowledgeBase:
    """The knowledge base tagged for the lab; several are narrowed by the learner tag."""
    found = aws.tagged_knowledge_bases(LAB_TAG, lab.lab_id)
    return single_anchor(found, "knowledge base", lab, lambda kb: kb.tags, lambda kb: kb.name)
