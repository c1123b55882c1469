"""The validation stage (gate 1): the suite from config + suite file, run through Great Expectations,
with a sentence per failure and an HTML report."""
