"""Models: the registry with its aliases and gates (`registry`), saving and loading fitted
models safely (`model_io`), the features they take (`features`), scoring data (`scoring`),
batch prediction, and air-gap bundles (`bundles`, `bundle_manifest`)."""
