"""The answer side, pure: one cattrs Converter between models and wire JSON, and `decode` of an answer."""
