"""Microsoft Azure: ARM control-plane reads of a learner's resource group (reader.py) and their views."""
