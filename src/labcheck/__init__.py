"""labcheck: hands-on GenAI architecture labs, graded by read-only checks against the learner's cloud."""

__version__ = "0.1.0"
