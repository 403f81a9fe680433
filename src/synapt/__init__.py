"""synapt: synthetic-to-real video action recognition.

Stages, one folder each: ``sim`` (generator), ``data`` (records, decoding, sampling,
transforms, format loaders), ``models`` (backbones and weight import), ``train`` (the
training loop, evaluation, linear probe), ``bench`` (curation, representation bias,
sweeps, the end-to-end benchmark) and ``report`` (tables, plots, HTML); ``speed`` holds
every stage's speed benchmark (``synapt speed <stage>``).
"""

__version__ = "0.1.0"
