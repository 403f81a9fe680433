"""synapt.sim: the synthetic action-video generator (MuJoCo humanoids and objects).

``generate_dataset`` writes a dataset folder; ``catalog.CLASSES`` lists the action classes and
``catalog.flip_map()`` the left/right pairs a horizontal flip swaps.
"""

from synapt.sim.dataset import generate_dataset

__all__ = ["generate_dataset"]
