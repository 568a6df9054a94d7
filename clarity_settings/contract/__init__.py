"""The one set of rules for text from outside and for text written for other programs."""
