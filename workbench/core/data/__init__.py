"""Dataset versions: adding, resolving and aliasing them (`datasets`), reading the formats
(`tabular`), profiles and their diffs (`profile`, `profile_diff`), contracts, and the sample
retail drops (`sample_data`)."""
