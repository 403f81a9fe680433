"""Reading frames from video files and frame folders as uint8 torch tensors.

Every reader returns frames as displayed: ``(T, 3, H, W)`` uint8 RGB, with the container's
rotation applied and non-square pixels stretched to their display aspect (``W * SAR``), so a
Kinetics clip coded at 340x256 with SAR 64:51 comes out 427x256, as a player shows it.

The fast path decodes to YUV and converts only the requested frames to RGB, all at once, in
vectorised numpy (zero-copy into torch). FFmpeg's per-frame ``to_ndarray("rgb24")`` sets up a
scaler for every frame and spends most of a small clip's time there (``synapt speed data``
measures both).

::

    packets ──decode──► YUV 4:2:0 planes (per frame, no conversion)
                         │  stack the frames that were asked for
                         ▼
                 (T, H, W) luma + (T, H/2, W/2) chroma ──one vectorised pass──► (T, 3, H, W) uint8
                         │
                 SAR stretch, rotation ──► frames as displayed
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

FRAME_TEMPLATES = ("img_{:05d}.jpg", "{:05d}.jpg")

_DEMUXER_BY_SUFFIX = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".avi": "avi", ".mkv": "matroska", ".webm": "webm"}

# Luma weights (Kr, Kb) of the two colour matrices in use; TV-range input is first expanded
# with the 255/219 (luma) and 255/224 (chroma) factors.
_KR_KB = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}


class VideoDecodeError(RuntimeError):
    """A video that cannot be opened or decoded; the message names the file and the reason."""


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says about itself (plus, when decoded, how many frames it really has).

    Attributes:
        path: the file.
        container: demuxer name (``mov,mp4,m4a,3gp,3g2,mj2``, ``avi``, ``matroska,webm``...).
        codec: video codec (``h264``, ``mpeg4``, ``vp9``...).
        num_frames: frames in the file (decoded count when the file was decoded, else the
            header's count, else video packets counted without decoding).
        fps: average frame rate, frames per second.
        duration: seconds.
        width, height: coded size in pixels.
        sample_aspect: pixel aspect ratio (width / height of one pixel), 1.0 for square.
        rotation: degrees counter-clockwise that the display applies (0, 90, 180, 270).
        display_width, display_height: size of the frames the readers return, pixels.
        pix_fmt: pixel format of the decoded frames.
    """

    path: str
    container: str
    codec: str
    num_frames: int
    fps: float
    duration: float
    width: int
    height: int
    sample_aspect: float
    rotation: int
    display_width: int
    display_height: int
    pix_fmt: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class YUVClip:
    """Decoded 4:2:0 frames before colour conversion (the fused crop/convert path works on these).

    Attributes:
        luma: ``(T, H, W)`` uint8.
        chroma: ``(T, 2, ceil(H/2), ceil(W/2))`` uint8, Cb then Cr.
        matrix: ``"bt601"`` or ``"bt709"``.
        full_range: JPEG range (0-255) rather than TV range (16-235).
    """

    luma: torch.Tensor
    chroma: torch.Tensor
    matrix: str
    full_range: bool


class DecodedVideo:
    """Every frame of a video held in memory, read like a reader (``get_yuv``/``get_frames``).

    What a dataset's decode cache keeps per clip: the 4:2:0 planes when they are the displayed
    picture (a 64 px, 8-frame clip is 49 KB), else the RGB frames.
    """

    def __init__(self, *, yuv: YUVClip | None = None, frames: torch.Tensor | None = None):
        if (yuv is None) == (frames is None):
            raise ValueError("DecodedVideo holds either yuv planes or RGB frames")
        self.yuv, self.frames = yuv, frames

    @classmethod
    def read(cls, reader, *, prefer_yuv: bool = True) -> "DecodedVideo":
        """Decode every frame of an open reader."""
        every = list(range(reader.num_frames))
        yuv = reader.get_yuv(every) if prefer_yuv and hasattr(reader, "get_yuv") else None
        return cls(yuv=yuv) if yuv is not None else cls(frames=reader.get_frames(every))

    @property
    def num_frames(self) -> int:
        return len(self.yuv.luma) if self.yuv is not None else len(self.frames)

    @property
    def nbytes(self) -> int:
        if self.yuv is not None:
            return self.yuv.luma.numel() + self.yuv.chroma.numel()
        return self.frames.numel()

    def get_yuv(self, indices: Sequence[int]) -> YUVClip | None:
        if self.yuv is None:
            return None
        index = torch.as_tensor(list(indices), dtype=torch.long).clamp_(max=self.num_frames - 1)
        return YUVClip(luma=self.yuv.luma[index], chroma=self.yuv.chroma[index], matrix=self.yuv.matrix,
                       full_range=self.yuv.full_range)

    def get_frames(self, indices: Sequence[int]) -> torch.Tensor:
        index = torch.as_tensor(list(indices), dtype=torch.long).clamp_(max=self.num_frames - 1)
        if self.frames is not None:
            return self.frames[index]
        clip = self.get_yuv(index.tolist())
        return yuv420_to_rgb(clip.luma, clip.chroma[:, 0], clip.chroma[:, 1], matrix=clip.matrix,
                             full_range=clip.full_range)


def display_size(width: int, height: int, sample_aspect: float, rotation: int) -> tuple[int, int]:
    """Displayed ``(width, height)`` in pixels of a coded frame: SAR stretches width, then rotation."""
    shown_width = max(1, round(width * sample_aspect)) if sample_aspect > 0 else width
    if rotation % 180 == 90:
        return height, shown_width
    return shown_width, height


def yuv420_to_rgb(
    luma: torch.Tensor, cb: torch.Tensor, cr: torch.Tensor, *, matrix: str = "bt601", full_range: bool = False
) -> torch.Tensor:
    """Convert a stack of YUV 4:2:0 frames to RGB in one go.

    Args:
        luma: ``(T, H, W)`` uint8.
        cb, cr: ``(T, ceil(H/2), ceil(W/2))`` uint8 chroma planes.
        matrix: ``"bt601"`` or ``"bt709"``.
        full_range: True for JPEG-range (0-255) input, False for TV range (16-235/240).

    Returns:
        ``(T, 3, H, W)`` uint8 RGB.
    """
    height, width = luma.shape[-2:]
    kr, kb = _KR_KB[matrix]
    kg = 1.0 - kr - kb
    luma_scale, chroma_scale = (1.0, 1.0) if full_range else (255.0 / 219.0, 255.0 / 224.0)
    # numpy: its broadcasting and repeat beat torch's for these small planes (measured 1.3-2x).
    y = luma.numpy().astype(np.float32)
    if not full_range:
        y -= 16.0
        y *= luma_scale
    u = cb.numpy().astype(np.float32)
    v = cr.numpy().astype(np.float32)
    u -= 128.0
    v -= 128.0
    u *= chroma_scale
    v *= chroma_scale
    # Chroma terms are computed at quarter resolution, then each covers its 2x2 block of luma
    # (nearest upsampling): four times fewer multiplications than converting at full size.
    chroma = np.stack(
        ((2.0 - 2.0 * kr) * v, (-2.0 * kb * (1.0 - kb) / kg) * u - (2.0 * kr * (1.0 - kr) / kg) * v, (2.0 - 2.0 * kb) * u),
        axis=1,
    )
    chroma = chroma.repeat(2, axis=2).repeat(2, axis=3)[:, :, :height, :width]
    chroma += y[:, None]
    chroma += 0.5  # then truncation rounds to nearest
    np.clip(chroma, 0.0, 255.0, out=chroma)
    return torch.from_numpy(chroma.astype(np.uint8))


def to_display(frames: torch.Tensor, *, sample_aspect: float, rotation: int) -> torch.Tensor:
    """Stretch ``(T, C, H, W)`` uint8 frames to square pixels and apply the rotation."""
    if sample_aspect > 0 and abs(sample_aspect - 1.0) > 1e-3:
        height, width = frames.shape[-2:]
        frames = F.interpolate(
            frames, size=(height, max(1, round(width * sample_aspect))), mode="bilinear", antialias=True, align_corners=False
        )
    quarter_turns = (rotation // 90) % 4
    if quarter_turns:
        # torch.rot90 turns counter-clockwise as displayed (rows down), like the display matrix.
        frames = torch.rot90(frames, k=quarter_turns, dims=(-2, -1)).contiguous()
    return frames


class PyAVReader:
    """Frames of one video file through PyAV.

    Args:
        path: the video file.
        convert: ``"torch"`` (fast path: YUV frames converted together in torch) or ``"rgb24"``
            (FFmpeg's per-frame conversion; the baseline, and the fallback for unusual pixel
            formats).
        seek_threshold: when the next wanted frame is more than this many frames ahead, seek to
            it instead of decoding everything in between (long videos, sparse sampling).
        threads: decoder threads; 1 inside DataLoader workers, more for a single big video.
        data: the file's bytes (e.g. from a tar shard); ``path`` then only names it in messages.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        convert: str = "torch",
        seek_threshold: int = 120,
        threads: int = 1,
        data: bytes | None = None,
    ):
        import av

        if convert not in ("torch", "rgb24"):
            raise ValueError(f"convert must be 'torch' or 'rgb24', not {convert!r}")
        self.path = str(path)
        self.convert = convert
        self.seek_threshold = seek_threshold
        self._av = av
        self._data = data
        try:
            self._container = self._open()
        except (av.FFmpegError, OSError) as err:
            raise VideoDecodeError(f"{self.path}: cannot open ({_reason(err)})") from err
        if not self._container.streams.video:
            self._container.close()
            raise VideoDecodeError(f"{self.path}: no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.thread_count = threads
        self._num_frames: int | None = None
        self._rotation: int | None = None
        self._first_pts: int | None = None
        self._touched = False  # anything decoded or sought since opening?
        self.seeks = 0  # seeks done for sparse frames (tests and benchmarks read it)
        # AVI stores no presentation timestamps (FFmpeg guesses them from decode order, out of
        # order with B-frames), so frames there are only placed by counting from the start.
        self._can_seek = "avi" not in self._container.format.name.split(",")

    # -- header facts (read once: they do not change) ------------------------------------
    @functools.cached_property
    def fps(self) -> float:
        rate = self._stream.average_rate or self._stream.guessed_rate or self._stream.base_rate
        return float(rate) if rate else 0.0

    @functools.cached_property
    def sample_aspect(self) -> float:
        sar = self._stream.sample_aspect_ratio or self._stream.codec_context.sample_aspect_ratio
        return float(sar) if sar and sar > 0 else 1.0

    @functools.cached_property
    def duration(self) -> float:
        stream = self._stream
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        if self._container.duration:
            return self._container.duration / 1_000_000
        return 0.0

    @property
    def num_frames(self) -> int:
        """Frames in the file: the header's count, else video packets counted (no decoding)."""
        if self._num_frames is None:
            frames = self._stream.frames
            if frames <= 0:
                frames = self._count_packets()
            self._num_frames = frames
        return self._num_frames

    @property
    def rotation(self) -> int:
        """Display rotation in degrees counter-clockwise (0, 90, 180 or 270), read from the first frame."""
        if self._rotation is None:
            self._rotation = 0
            try:
                self._container.seek(0, stream=self._stream)
                for frame in self._container.decode(self._stream):
                    self._rotation = round(getattr(frame, "rotation", 0) or 0) % 360
                    self._first_pts = frame.pts
                    break
                self._container.seek(0, stream=self._stream)
                self._touched = True
            except self._av.FFmpegError as err:
                raise VideoDecodeError(f"{self.path}: cannot decode the first frame ({_reason(err)})") from err
        return self._rotation

    def info(self) -> VideoInfo:
        cc = self._stream.codec_context
        rotation = self.rotation
        width, height = display_size(cc.width, cc.height, self.sample_aspect, rotation)
        return VideoInfo(
            path=self.path,
            container=self._container.format.name,
            codec=cc.name,
            num_frames=self.num_frames,
            fps=self.fps,
            duration=self.duration,
            width=cc.width,
            height=cc.height,
            sample_aspect=self.sample_aspect,
            rotation=rotation,
            display_width=width,
            display_height=height,
            pix_fmt=cc.pix_fmt or "",
        )

    def _source(self):
        return self.path if self._data is None else io.BytesIO(self._data)

    def _open(self):
        # Naming the demuxer from the suffix skips FFmpeg's format probing (a quarter of the open
        # time of a small clip); a file whose suffix lies is opened again with probing.
        hint = _DEMUXER_BY_SUFFIX.get(os.path.splitext(self.path)[1].lower()) if self._data is None else None
        if hint is not None:
            try:
                return self._av.open(self.path, format=hint)
            except self._av.FFmpegError:
                pass
        return self._av.open(self._source())

    def _count_packets(self) -> int:
        count = 0
        with self._av.open(self._source()) as container:
            for packet in container.demux(video=0):
                if packet.size:
                    count += 1
        return count

    # -- decoding ------------------------------------------------------------------------
    def count_decoded(self) -> int:
        """Decode the whole file and return its true frame count (raises on corrupt data)."""
        count = 0
        try:
            self._container.seek(0, stream=self._stream)
            self._touched = True
            for _ in self._container.decode(self._stream):
                count += 1
        except self._av.FFmpegError as err:
            raise VideoDecodeError(f"{self.path}: decoding failed after {count} frames ({_reason(err)})") from err
        self._num_frames = count
        return count

    def get_frames(self, indices: Sequence[int]) -> torch.Tensor:
        """Frames at 0-based ``indices`` (any order, repeats allowed) as ``(T, 3, H, W)`` uint8.

        Indices past the last decodable frame (headers sometimes overstate the count) get the
        last decoded frame.
        """
        ordered = self._decode_ordered(indices)
        frames = self._to_rgb(ordered)
        return to_display(frames, sample_aspect=self.sample_aspect, rotation=self._rotation)

    def get_yuv(self, indices: Sequence[int]) -> YUVClip | None:
        """Frames at ``indices`` as unconverted 4:2:0 planes, when that is exact.

        Returns None (use :meth:`get_frames`) unless the frames are 8-bit 4:2:0 with square
        pixels and no rotation: only then are the planes the displayed picture.
        """
        if self.convert != "torch" or abs(self.sample_aspect - 1.0) > 1e-3:
            return None
        ordered = self._decode_ordered(indices)
        if self._rotation or not _uniform_yuv420(ordered):
            return None
        return _yuv_clip(ordered)

    def _decode_ordered(self, indices: Sequence[int]) -> list:
        wanted = sorted({int(i) for i in indices})
        if not wanted:
            raise ValueError("no frame indices given")
        if wanted[0] < 0:
            raise ValueError(f"negative frame index {wanted[0]}")
        try:
            decoded = self._decode(wanted)
        except self._av.FFmpegError as err:
            raise VideoDecodeError(f"{self.path}: decoding failed ({_reason(err)})") from err
        if not decoded:
            raise VideoDecodeError(f"{self.path}: no frame could be decoded")
        last = decoded[max(decoded)]
        ordered = [decoded.get(int(i), last) for i in indices]
        if self._rotation is None:
            self._rotation = round(getattr(ordered[0], "rotation", 0) or 0) % 360
        return ordered

    def _decode(self, wanted: list[int]) -> dict[int, object]:
        """Decode the frames in sorted ``wanted``; returns index -> av.VideoFrame."""
        stream = self._stream
        time_base = stream.time_base
        fps = self.fps
        seekable = self._can_seek and bool(fps and time_base) and wanted[-1] > self.seek_threshold
        if seekable:
            _ = self.rotation  # decodes the first frame once: its timestamp is frame 0
            seekable = self._first_pts is not None
        decoded: dict[int, object] = {}
        if self._touched:
            self._container.seek(0, stream=stream)
        self._touched = True  # (a seek on a fresh container costs as much as decoding a small clip)
        frames = self._container.decode(stream)
        position: int | None = -1  # index of the last decoded frame; None right after a seek
        by_timestamp = False  # after a seek, frames are placed by timestamp, not by counting
        sought = -1  # the last target sought: never seek twice for one target
        k = 0
        while k < len(wanted):
            target = wanted[k]
            if seekable and position is not None and target - position > self.seek_threshold and target > sought:
                # Seek to the key frame before the target, then decode forward; frame indices
                # come from timestamps (constant frame rate assumed, as every loader does).
                sought = target
                self.seeks += 1
                self._container.seek(self._first_pts + int(target / fps / time_base), stream=stream, backward=True)
                frames = self._container.decode(stream)
                position, by_timestamp = None, True
            frame = next(frames, None)
            if frame is None:
                break
            if by_timestamp:
                if frame.pts is None:
                    # No timestamp to place the frame: start over without seeking.
                    return self._decode_from_start(wanted)
                placed = round(float((frame.pts - self._first_pts) * time_base) * fps)
                if position is None and placed > target:
                    # The seek landed after the target (no key frame before it).
                    return self._decode_from_start(wanted)
                position = placed
            else:
                position += 1
            while k < len(wanted) and wanted[k] <= position:
                # A timestamp gap may skip an index: it gets the next frame.
                decoded[wanted[k]] = frame
                k += 1
        return decoded

    def _decode_from_start(self, wanted: list[int]) -> dict[int, object]:
        self._can_seek = False  # timestamps cannot place frames in this file: never seek again
        return self._decode(wanted)

    def _to_rgb(self, frames: list) -> torch.Tensor:
        if self.convert == "torch" and _uniform_yuv420(frames):
            clip = _yuv_clip(frames)
            return yuv420_to_rgb(clip.luma, clip.chroma[:, 0], clip.chroma[:, 1], matrix=clip.matrix, full_range=clip.full_range)
        return torch.from_numpy(np.stack([f.to_ndarray(format="rgb24") for f in frames])).permute(0, 3, 1, 2).contiguous()

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> PyAVReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _plane_array(plane, width: int, height: int) -> np.ndarray:
    # Planes are padded to line_size bytes per row; keep the visible width only.
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)
    return rows[:height, :width]


def _uniform_yuv420(frames: list) -> bool:
    first = frames[0]
    return first.format.name in ("yuv420p", "yuvj420p") and all(
        f.format.name == first.format.name and f.width == first.width and f.height == first.height for f in frames
    )


def _yuv_clip(frames: list) -> YUVClip:
    first = frames[0]
    width, height = first.width, first.height
    chroma_w, chroma_h = (width + 1) // 2, (height + 1) // 2
    # Copy each plane straight from FFmpeg's buffer into one array for the clip (rows are padded
    # to line_size bytes; only the visible width is kept).
    luma = np.empty((len(frames), height, width), dtype=np.uint8)
    chroma = np.empty((len(frames), 2, chroma_h, chroma_w), dtype=np.uint8)
    for t, frame in enumerate(frames):
        y_plane, cb_plane, cr_plane = frame.planes
        luma[t] = _plane_array(y_plane, width, height)
        chroma[t, 0] = _plane_array(cb_plane, chroma_w, chroma_h)
        chroma[t, 1] = _plane_array(cr_plane, chroma_w, chroma_h)
    return YUVClip(
        luma=torch.from_numpy(luma),
        chroma=torch.from_numpy(chroma),
        matrix="bt709" if _colorspace(first) == 1 else "bt601",
        full_range=first.format.name == "yuvj420p" or _color_range(first) == 2,
    )


def _colorspace(frame) -> int:
    # AVCOL_SPC_BT709 == 1; anything else unspecified is treated as BT.601, as swscale does.
    value = getattr(frame, "colorspace", 2)
    return int(value) if value is not None else 2


def _color_range(frame) -> int:
    value = getattr(frame, "color_range", 0)
    return int(value) if value is not None else 0


def _reason(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


class FrameFolderReader:
    """Frames stored as JPEG/PNG files in one folder (``img_00001.jpg``, ``00001.jpg``...).

    Args:
        folder: the frame folder of one video.
        template: file-name template with one integer field; ``None`` picks the first of
            ``img_{:05d}.jpg`` and ``{:05d}.jpg`` that exists.
        start_index: number of the first file; frame folders usually start at 1. Index 0 of
            ``get_frames`` is this file.
    """

    def __init__(self, folder: str | os.PathLike, *, template: str | None = None, start_index: int = 1):
        self.path = str(folder)
        folder = Path(folder)
        if not folder.is_dir():
            raise VideoDecodeError(f"{folder}: frame folder not found")
        if template is None:
            template = next((t for t in FRAME_TEMPLATES if (folder / t.format(start_index)).exists()), None)
            if template is None:
                raise VideoDecodeError(
                    f"{folder}: no first frame {' or '.join(t.format(start_index) for t in FRAME_TEMPLATES)} "
                    "(pass template= and start_index=)"
                )
        self.folder = folder
        self.template = template
        self.start_index = start_index
        self._num_frames: int | None = None

    @property
    def num_frames(self) -> int:
        if self._num_frames is None:
            # Count consecutive files from the first: a gap ends the video.
            names = {p.name for p in self.folder.iterdir()}
            count = 0
            while self.template.format(self.start_index + count) in names:
                count += 1
            self._num_frames = count
        return self._num_frames

    @functools.cached_property
    def fps(self) -> float:
        return 0.0

    def get_frames(self, indices: Sequence[int]) -> torch.Tensor:
        from PIL import Image

        cache: dict[int, np.ndarray] = {}
        out = []
        for index in indices:
            index = int(index)
            if index not in cache:
                file = self.folder / self.template.format(self.start_index + index)
                try:
                    with Image.open(file) as image:
                        cache[index] = np.asarray(image.convert("RGB"))
                except OSError as err:
                    raise VideoDecodeError(f"{file}: cannot read frame ({_reason(err)})") from err
            out.append(cache[index])
        return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).contiguous()

    def close(self) -> None:
        pass

    def __enter__(self) -> FrameFolderReader:
        return self

    def __exit__(self, *exc) -> None:
        pass


class DecordReader:
    """Frames through decord (optional extra ``synapt[decord]``), displayed like ``PyAVReader``.

    decord ignores the pixel aspect, so it is read from the header with PyAV and applied here.
    Whether decord applied the rotation itself depends on its FFmpeg build (0.6.0 wheels do), so
    for a rotated video the first frame is compared with PyAV's to decide, once per file.
    """

    def __init__(self, path: str | os.PathLike, *, threads: int = 1):
        try:
            import decord
        except ImportError as err:
            raise VideoDecodeError("the decord backend needs `pip install decord` (or use backend='pyav')") from err
        self.path = str(path)
        try:
            self._reader = decord.VideoReader(self.path, num_threads=threads)
        except Exception as err:  # decord raises its own DECORDError types
            raise VideoDecodeError(f"{self.path}: cannot open ({_reason(err)})") from err
        with PyAVReader(self.path) as header:
            self.sample_aspect = header.sample_aspect
            self.rotation = header.rotation
            if self.rotation:
                reference = header.get_frames([0]).float()
                raw = torch.from_numpy(self._reader.get_batch([0]).asnumpy()).permute(0, 3, 1, 2)
                turned = to_display(raw, sample_aspect=self.sample_aspect, rotation=self.rotation)
                as_is = to_display(raw, sample_aspect=self.sample_aspect, rotation=0)
                if _closer(as_is, turned, reference):
                    self.rotation = 0  # decord already turned the frames

    @property
    def num_frames(self) -> int:
        return len(self._reader)

    @functools.cached_property
    def fps(self) -> float:
        return float(self._reader.get_avg_fps())

    def get_frames(self, indices: Sequence[int]) -> torch.Tensor:
        last = self.num_frames - 1
        try:
            batch = self._reader.get_batch([min(int(i), last) for i in indices]).asnumpy()
        except Exception as err:
            raise VideoDecodeError(f"{self.path}: decoding failed ({_reason(err)})") from err
        frames = torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous()
        return to_display(frames, sample_aspect=self.sample_aspect, rotation=self.rotation)

    def close(self) -> None:
        pass

    def __enter__(self) -> DecordReader:
        return self

    def __exit__(self, *exc) -> None:
        pass


def _closer(candidate: torch.Tensor, other: torch.Tensor, reference: torch.Tensor) -> bool:
    """Is ``candidate`` nearer to ``reference`` than ``other`` (a shape mismatch is infinitely far)?"""

    def distance(x: torch.Tensor) -> float:
        return float((x.float() - reference).abs().mean()) if x.shape == reference.shape else float("inf")

    return distance(candidate) < distance(other)


def open_video(
    path: str | os.PathLike,
    *,
    backend: str = "pyav",
    frame_template: str | None = None,
    frame_start: int = 1,
    **options,
):
    """A reader for a video file or a frame folder.

    Args:
        path: video file, or a folder of frames.
        backend: ``"pyav"`` (default; fast YUV path), ``"pyav-rgb24"`` (per-frame FFmpeg
            conversion) or ``"decord"``. Folders always use :class:`FrameFolderReader`.
        frame_template, frame_start: file names of frame folders (``None`` = detect
            ``img_{:05d}.jpg`` / ``{:05d}.jpg``) and the number of the first file.
        **options: passed to the video reader (``seek_threshold``, ``threads``).
    """
    if os.path.isdir(path):
        return FrameFolderReader(path, template=frame_template, start_index=frame_start)
    if not os.path.exists(path):
        raise VideoDecodeError(f"{path}: file not found")
    if backend == "pyav":
        return PyAVReader(path, **options)
    if backend == "pyav-rgb24":
        return PyAVReader(path, convert="rgb24", **options)
    if backend == "decord":
        return DecordReader(path, **options)
    raise ValueError(f"unknown video backend {backend!r} (pyav, pyav-rgb24, decord)")


def sar_fraction(value: float) -> str:
    """A pixel aspect ratio as a short fraction string, e.g. ``64:51``."""
    frac = Fraction(value).limit_denominator(1000)
    return f"{frac.numerator}:{frac.denominator}"


__all__ = [
    "DecordReader",
    "FrameFolderReader",
    "PyAVReader",
    "VideoDecodeError",
    "VideoInfo",
    "YUVClip",
    "display_size",
    "open_video",
    "to_display",
    "yuv420_to_rgb",
]

