"""synapt.sim: the synthetic action-video generator (MuJoCo humanoids and objects).

``generate_dataset`` writes a dataset folder; ``catalog.CLASSES`` lists the action classes and
``catalog.flip_map()`` the left/right pairs a horizontal flip swaps.
"""

# Changes whenever generated pixels change for the same settings (benchmark stage keys hold it).
# 2: real time, motion capture classes, stance-locked gaits, styles, shared props and framing.
# 3: the camera keeps an upright actor at >= 30% of the frame height (camera.MIN_ACTOR_FRACTION).
# 4: camera and codec effects by default (motion blur, defocus, noise, exposure and white balance, CRF).
# 5: occluders, light rigs with spot lights (df5126a; the rigs were taken out again).
# 6: occluders between the camera and the actor (scenes.OCCLUDER_P), the directional lights of
#    before; motion blur in 15% of clips.
# 7: an upright actor covers >= 50% of the frame height (was 30%; camera.MIN_ACTOR_FRACTION).
# 8: kick_ball's ball is launched by the kicking foot's contact, not a scripted impulse; every
#    other class renders as in 7.
GENERATOR_VERSION = "8"

from synapt.sim.dataset import generate_dataset  # noqa: E402

__all__ = ["GENERATOR_VERSION", "generate_dataset"]
