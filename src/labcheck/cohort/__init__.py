"""Cohort grading: one lab run per roster row, each in the learner's own account, into one gradebook.

roster.py reads and validates the roster; accounts.py opens each learner's account from the instructor's
session; grading.py runs the learners on a bounded thread pool and saves each result as it finishes;
gradebook.py and html.py turn the saved results into gradebook.csv, results.json, feedback and report.html.
"""
