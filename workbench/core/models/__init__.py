"""Models: the registry of versions and the aliases that point at them (`registry`, with the
records it returns in `records`), the gates a promotion passes (`gates`), scoring versions side
by side (`evaluation`), saving and loading fitted models safely (`model_io`), the features they
take (`features`), scoring data (`scoring`), batch prediction, air-gap bundles (`bundles`,
`bundle_manifest`), and a model's performance over time, drop by drop (`history`)."""
