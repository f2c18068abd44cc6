"""The question bank: the question format, the USMLE content outline it is tagged with, tag filters, and the bank."""
