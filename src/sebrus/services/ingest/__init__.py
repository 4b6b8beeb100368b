"""Getting contributions in: uploads, image checks, external signatures, the relayer and the indexer."""
