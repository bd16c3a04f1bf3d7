"""Amazon Web Services: the view of a learner account (view.py) and its boto3 adapter (live.py)."""
