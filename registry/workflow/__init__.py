"""How authorities and the secretariat keep the registry current (docs/workflow.md).

- drafts.py: a section prepared over days, private to the country's accounts and the
  secretariat, published at once or — where the country requires it — only once another
  account approved it (publishing.Approval).
- reconfirmation.py: the confirmation cycle, which sections are due or overdue, and the
  reminders sent to the country's accounts.
- questions.py: questions between countries on a version, answered, and made public by
  the answering country.

Everything published still goes through the publishing service; these services add what
comes before a publication and what is said about one.
"""
