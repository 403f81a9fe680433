"""Offscreen rendering with one OpenGL context per worker, reused across clips.

Creating a MuJoCo render context costs about 0.3 s (fonts, buffers, textures); compiling a
clip's model costs milliseconds. Every scene shares the texture layout of
``scenes.TEXTURE_LAYOUT`` and uses only primitive geoms, so one context made for a template
model draws any clip's model once that clip's texture pixels are uploaded.
"""

from __future__ import annotations

import ctypes.util
import os

import numpy as np

from synapt.errors import UserError


def ensure_gl() -> None:
    """Select EGL before MuJoCo is imported and fail with one line if it cannot work here."""
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
    if os.environ["MUJOCO_GL"] == "egl" and ctypes.util.find_library("EGL") is None:
        raise UserError(
            "no EGL library found for offscreen rendering: install Mesa EGL "
            "(apt-get install libegl1 libgl1-mesa-dri) or set MUJOCO_GL=osmesa"
        )


# One geom of every primitive type the scenes use: the context's built-in meshes must cover all
# of them. Scenes use no planes, meshes or height fields (their buffers are per model).
PRIMITIVES = (
    '<geom type="sphere" size="1"/><geom type="capsule" size="1 1"/>'
    '<geom type="ellipsoid" size="1 1 1"/><geom type="cylinder" size="1 1"/><geom type="box" size="1 1 1"/>'
)


class FrameRenderer:
    """Renders RGB (and optionally depth and geom ids) of any clip model at a fixed size.

    Args:
        size: image width and height in pixels.
        quality: "fast" (no shadows, no MSAA) or "high" (shadow maps and 4x MSAA).
    """

    def __init__(self, *, size: int, quality: str = "fast") -> None:
        ensure_gl()
        import mujoco
        from mujoco.rendering.classic import gl_context

        from synapt.sim.scenes import TEXTURE_LAYOUT

        self.size = size
        self.quality = quality
        textures = "".join(
            f'<texture name="{n}" type="{t}" builtin="flat" rgb1=".5 .5 .5" width="{w}" height="{w}"/>' for n, t, w in TEXTURE_LAYOUT
        )
        high = quality == "high"
        template = mujoco.MjModel.from_xml_string(
            f"""<mujoco><visual><global offwidth="{size}" offheight="{size}"/>
            <quality offsamples="{4 if high else 0}" shadowsize="{2048 if high else 0}"/></visual>
            <asset>{textures}</asset><worldbody>{PRIMITIVES}</worldbody></mujoco>"""
        )
        self._layout = (template.ntex, tuple(template.tex_width), tuple(template.tex_height))
        try:
            self._gl = gl_context.GLContext(size, size)
        except Exception as err:  # the EGL/OSMesa stack raises several types
            raise UserError(f"cannot create an offscreen OpenGL context ({err}); check MUJOCO_GL and the EGL install") from err
        self._gl.make_current()
        self._con = mujoco.MjrContext(template, mujoco.mjtFontScale.mjFONTSCALE_50)
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, self._con)
        self._rect = mujoco.MjrRect(0, 0, size, size)
        self._option = mujoco.MjvOption()
        self._camera = mujoco.MjvCamera()
        self._camera.type = mujoco.mjtCamera.mjCAMERA_FREE
        self._model = None
        self._scene = None
        self._rgb = np.empty((size, size, 3), dtype=np.uint8)

    def bind(self, model) -> None:
        """Use ``model`` for the next frames: check its texture layout and upload its pixels."""
        import mujoco

        layout = (model.ntex, tuple(model.tex_width), tuple(model.tex_height))
        if layout != self._layout:
            raise ValueError(f"model texture layout {layout} differs from the renderer's {self._layout}")
        self._gl.make_current()
        for texid in range(model.ntex):
            mujoco.mjr_uploadTexture(model, self._con, texid)
        self._model = model
        self._scene = mujoco.MjvScene(model, maxgeom=400)
        high = self.quality == "high"
        self._scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = high
        self._scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False
        self._scene.flags[mujoco.mjtRndFlag.mjRND_SKYBOX] = True

    def update(self, data, *, lookat: np.ndarray, distance: float, azimuth: float, elevation: float) -> None:
        """Place the camera and collect the geoms of ``data`` for the next :meth:`rgb`."""
        import mujoco

        # Several renderers (sizes) may live in one process: draw into this one's context.
        self._gl.make_current()
        cam = self._camera
        cam.lookat[:] = lookat
        cam.distance = distance
        cam.azimuth = azimuth
        cam.elevation = elevation
        mujoco.mjv_updateScene(self._model, data, self._option, None, cam, mujoco.mjtCatBit.mjCAT_ALL, self._scene)

    def camera_frame(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Position, forward and up vectors of the camera of the last :meth:`update` (world)."""
        c = self._scene.camera[0]
        return np.array(c.pos), np.array(c.forward), np.array(c.up)

    def rgb(self) -> np.ndarray:
        """The current frame, ``(H, W, 3)`` uint8, top row first (a new array)."""
        import mujoco

        self._gl.make_current()
        mujoco.mjr_render(self._rect, self._scene, self._con)
        mujoco.mjr_readPixels(self._rgb, None, self._rect, self._con)
        return self._rgb[::-1].copy()

    def depth(self) -> np.ndarray:
        """Metric depth along the view axis of the current frame, ``(H, W)`` float32 metres."""
        import mujoco

        depth = np.empty((self.size, self.size), dtype=np.float32)
        self._gl.make_current()
        mujoco.mjr_render(self._rect, self._scene, self._con)
        mujoco.mjr_readPixels(None, depth, self._rect, self._con)
        extent = self._model.stat.extent
        near = self._model.vis.map.znear * extent
        far = self._model.vis.map.zfar * extent
        # OpenGL stores non-linear depth in [0, 1]; invert the projection to metres.
        metric = near * far / (far - depth.astype(np.float64) * (far - near))
        return metric[::-1].astype(np.float32)

    def geom_ids(self) -> np.ndarray:
        """Geom id visible at each pixel of the current frame, ``(H, W)`` int32, -1 for none."""
        import mujoco

        flags = self._scene.flags
        saved = (flags[mujoco.mjtRndFlag.mjRND_SEGMENT], flags[mujoco.mjtRndFlag.mjRND_IDCOLOR])
        flags[mujoco.mjtRndFlag.mjRND_SEGMENT] = True
        flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = True
        try:
            self._gl.make_current()
            mujoco.mjr_render(self._rect, self._scene, self._con)
            rgb = np.empty((self.size, self.size, 3), dtype=np.uint8)
            mujoco.mjr_readPixels(rgb, None, self._rect, self._con)
        finally:
            flags[mujoco.mjtRndFlag.mjRND_SEGMENT], flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = saved
        seg = rgb[::-1].astype(np.int64)
        segid = seg[..., 0] + (seg[..., 1] << 8) + (seg[..., 2] << 16)
        lookup = np.full(self._scene.ngeom + 2, -1, dtype=np.int32)
        for i in range(self._scene.ngeom):
            g = self._scene.geoms[i]
            if g.objtype == mujoco.mjtObj.mjOBJ_GEOM and g.segid >= 0:
                lookup[g.segid + 1] = g.objid
        segid = np.clip(segid, 0, len(lookup) - 1)
        return lookup[segid]

    def close(self) -> None:
        """Free this renderer's GL resources, in its own context (idempotent).

        MuJoCo frees a render context's buffers in whatever GL context is current; left to the
        garbage collector, a dropped renderer would free the textures and buffers of the
        renderer drawing at that moment (silently wrong frames). So freeing always happens here,
        with this renderer's context made current, and every drawing call makes its own current.
        """
        con = getattr(self, "_con", None)
        if con is not None:
            self._gl.make_current()
            con.free()
            self._con = None
            self._gl.free()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: modules may be gone; nothing left to protect
            pass

    def __enter__(self) -> FrameRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
