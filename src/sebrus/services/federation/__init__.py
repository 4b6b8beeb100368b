"""Federated training on a dataset, as provenance: start a federation, anchor its rounds, keep its model.

The engine (``sebrus.federated``: the Flower strategy, clients, LDP) decides each round and hands a
``RoundRecord`` to a ``RoundSink``; this package is the platform's sink. Modules, bottom-up:
``config`` (what an owner may ask for), ``anchoring`` (the participants root), ``start`` (open on chain,
then store), ``rounds`` (anchor one round, adopt one a crashed attempt anchored), ``model`` (the final
model: blob, chain), ``sink`` (``PlatformRoundSink``), ``queries`` (lists for the faces), ``verify``.
"""
