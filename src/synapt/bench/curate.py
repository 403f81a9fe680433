"""Curation: build a pre-training set from several sources through a class map.

The SynAPT lists mapped one source action into two target classes and listed some clips twice;
this module refuses both (:func:`lint`), then samples N classes x M clips with an equal share of
every source inside a class, in an order where every prefix is itself balanced, so that the
30-class set is inside the 90-class set and the 250-clip set inside the 750-clip set
(:func:`nested_order`). The train/val split keeps clips that share an actor or a motion seed on
one side (:func:`grouped_split`); the k-fold protocol deals whole groups into folds
(:func:`group_folds`).

A class map is a YAML mapping ``target_class: [source:action, ...]``; sources are named on the
command line (``--source gen=synapt:runs/gen``) or passed as :class:`Source` objects.

Output is a folder in the generator's dataset layout, readable by the ``synapt`` format loader:
``manifest.jsonl`` (paths relative to the folder, pointing at the source files),
``classes.json``, ``curation.json`` (class map, lint report, counts) and one sub-folder per
nested subset (``subsets/c30_n250/``) with its own manifest and relabelled ``classes.json``.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from synapt.errors import UserError
from synapt.io import atomic_write_text

MANIFEST = "manifest.jsonl"

# Clips that share these keys show the same people in the same place (UCF101's groups), so a
# validation split carved from train must keep them together or it flatters the model.
DEFAULT_GROUP_PATTERNS = {"ucf101": r"_(g\d+)_c\d+"}


@dataclass(frozen=True)
class Source:
    """A dataset on disk that contributes clips.

    Args:
        name: short name used in the class map (``gen`` in ``gen:wave``).
        format: a data-layer format name (``synapt``, ``folder``, ``ucf101``, ...).
        root: the dataset folder.
        group_pattern: regex whose first capture group names the actor or source recording in
            a clip's file name (e.g. ``person(\\d+)`` for KTH, ``p(\\d+)`` for ElderSim performers;
            see :func:`group_id`); every file must match, and clips with the same group stay on
            one side of the split. Generated datasets use their manifest's seeds instead; known
            formats have a default (UCF101's ``gNN`` groups, see DEFAULT_GROUP_PATTERNS).
        annotations, split: passed to the format's loader (``synapt data info`` takes the same).
    """

    name: str
    format: str
    root: Path
    group_pattern: str | None = None
    annotations: Path | None = None
    split: int = 1


@dataclass
class Clip:
    """One candidate clip: where it is, what it shows, and what ties it to other clips."""

    source: str
    action: str  # the class name inside its source
    path: Path  # absolute
    identity: str  # same identity = same clip (content hash where known, else real path)
    groups: tuple[str, ...] = ()  # actor / motion keys; shared key => same side of the split
    meta: dict = field(default_factory=dict)


@dataclass
class LintReport:
    """What the class map and the clips got wrong; ``errors`` refuse the set."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def raise_if_errors(self) -> None:
        if self.errors:
            shown = "; ".join(self.errors[:5])
            more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
            raise UserError(f"curation refused: {shown}{more}")


# --------------------------------------------------------------------------- class maps


def parse_source_spec(spec: str) -> Source:
    """``NAME=FORMAT:ROOT`` (the ``--source`` option) -> Source."""
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)=([A-Za-z0-9_]+):(.+)", spec)
    if not match:
        raise UserError(f"--source {spec!r}: expected NAME=FORMAT:ROOT, e.g. gen=synapt:runs/gen")
    name, fmt, root = match.groups()
    return Source(name=name, format=fmt, root=Path(root))


def load_class_map(path: str | Path) -> dict[str, list[tuple[str, str]]]:
    """Read ``target_class: [source:action, ...]`` YAML into {target: [(source, action)]}."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise UserError(f"class map {path} not found") from None
    except yaml.YAMLError as err:
        raise UserError(f"class map {path} is not valid YAML: {err}".splitlines()[0]) from None
    if not isinstance(data, dict) or not data:
        raise UserError(f"class map {path}: expected a mapping 'target_class: [source:action, ...]'")
    return parse_class_map(data, origin=str(path))


def parse_class_map(data: dict, *, origin: str = "class map") -> dict[str, list[tuple[str, str]]]:
    """Validate a class-map mapping; each entry is ``source:action``."""
    class_map: dict[str, list[tuple[str, str]]] = {}
    for target, entries in data.items():
        if isinstance(entries, str):
            entries = [entries]
        if not isinstance(entries, list) or not entries:
            raise UserError(f"{origin}: class {target!r} needs a list of source:action entries")
        pairs = []
        for entry in entries:
            if not isinstance(entry, str) or ":" not in entry:
                raise UserError(f"{origin}: class {target!r}: entry {entry!r} is not 'source:action'")
            source, action = entry.split(":", 1)
            pairs.append((source.strip(), action.strip()))
        class_map[str(target)] = pairs
    return class_map


# --------------------------------------------------------------------------- reading sources


def read_source(source: Source) -> list[Clip]:
    """All clips of a source, with identities and split groups."""
    if source.format == "synapt":
        return _read_generated(source)
    return _read_with_loader(source)


def _read_generated(source: Source) -> list[Clip]:
    manifest = source.root / MANIFEST
    if not manifest.is_file():
        raise UserError(f"source {source.name}: {manifest} not found (is {source.root} a generated dataset?)")
    clips = []
    with manifest.open() as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise UserError(f"{manifest}:{line_no}: not valid JSON (rerun `synapt generate` to repair)") from None
            path = (source.root / row["path"]).resolve()
            clips.append(
                Clip(
                    source=source.name,
                    action=row["class_name"],
                    path=path,
                    identity=row.get("sha256") or str(path),
                    groups=_generated_groups(source.name, row),
                    meta={"fps": row.get("fps"), "frames": row.get("frames"), "clip_id": row.get("clip_id"),
                          "split": row.get("split")},
                )
            )
    return clips


# A mocap-driven class with at least this many capture takes keeps each take on one side of the
# split; with fewer (DeepMimic's one take per motion), grouping would put whole classes there.
MIN_TAKES_TO_GROUP = 4


def _generated_groups(source: str, row: dict) -> tuple[str, ...]:
    """Split groups of a generated clip.

    Every generated clip draws its own actor, scene and performance from its own seed, so no two
    clips share an identity and each is its own group, except that mocap-driven clips reuse
    capture takes: where a class has MIN_TAKES_TO_GROUP takes or more (a CMU library), clips of
    one take are one group, so val and test show performances of takes training never saw.
    Classes with fewer takes (the default DeepMimic library has one per motion) differ only by
    window, speed, mirror, body and scene, and the report says so.
    """
    action = (row.get("params") or {}).get("action") or {}
    if str(action.get("motion", "")).startswith("mocap:") and (action.get("takes") or 0) >= MIN_TAKES_TO_GROUP:
        return (f"{source}:take={action.get('library')}/{action.get('clip_id')}",)
    return (f"{source}:clip={row['clip_id']}",)


def compile_group_pattern(text: str, *, where: str) -> re.Pattern:
    """A group pattern as a compiled regex; a bad one is a UserError naming ``where`` (e.g. a datasets.yaml key)."""
    if not isinstance(text, str) or not text:
        raise UserError(f"{where}: expected a regular expression for the group id, e.g. 'person(\\d+)'")
    try:
        return re.compile(text)
    except re.error as err:
        raise UserError(f"{where}: '{text}' is not a regular expression ({err})") from None


def group_id(path: str | Path, pattern: re.Pattern) -> str:
    """The group (actor, recording) of a video: ``pattern`` searched in its file name, first capture group.

    The whole match is the id when the pattern has no capture group. ``person(\\d+)`` gives ``01`` for
    ``person01_boxing_d1_uncomp.avi`` (KTH); ``^([a-z]+)_`` gives ``daria`` for ``daria_bend.avi`` (Weizmann).
    A file the pattern does not match is a UserError: as its own group, the clip could sit on the other
    side of a split from its actor's other clips.
    """
    name = Path(path).name
    match = pattern.search(name)
    fix = ("fix the group pattern ('group:' in datasets.yaml) so that it matches every video's file name, "
           "its first capture group being the actor id (e.g. 'person(\\d+)' for person01_boxing_d1_uncomp.avi)")
    if match is None:
        raise UserError(f"{path}: group pattern '{pattern.pattern}' does not match the file name '{name}'; {fix}")
    group = match.group(1) if pattern.groups else match.group(0)
    if not group:
        raise UserError(f"{path}: group pattern '{pattern.pattern}' matches '{name}' but captures nothing; {fix}")
    return group


def _read_with_loader(source: Source) -> list[Clip]:
    from synapt.data.formats import load_dataset  # the data layer owns every real format

    index = load_dataset(source.format, source.root, annotations=source.annotations, split=source.split)
    if index.missing:  # counted and reported by `synapt data info`; curation takes what exists
        index = index.drop_missing()
    # A pattern the user gave must match every file name; a format's default (UCF101's gNN) is
    # searched in the whole path, and a clip it misses is its own group.
    given = re.compile(source.group_pattern) if source.group_pattern else None
    default = DEFAULT_GROUP_PATTERNS.get(source.format)
    pattern = None if given or not default else re.compile(default)
    clips = []
    for split_name, records in index.splits.items():
        for record in records:
            path = Path(record.path).resolve()
            group = None
            if given:
                group = group_id(record.path, given)
            elif pattern:
                match = pattern.search(str(record.path))
                group = match.group(1) if match and match.groups() else (match.group(0) if match else None)
            clips.append(
                Clip(
                    source=source.name,
                    action=index.class_names[record.label],
                    path=path,
                    identity=str(path),
                    groups=(f"{source.name}:group={group}",) if group else (f"{source.name}:path={path}",),
                    meta={"fps": record.meta.get("fps"), "split": split_name},
                )
            )
    return clips


# --------------------------------------------------------------------------- lint


def lint(class_map: dict[str, list[tuple[str, str]]], clips_by_action: dict[tuple[str, str], list[Clip]]) -> LintReport:
    """Refuse what the SynAPT lists got wrong.

    * one source action mapped to two target classes;
    * a mapped source action with no clips (a typo in the class map);
    * the same clip (by identity) in two target classes, or listed twice in one class.
    """
    report = LintReport()
    owner: dict[tuple[str, str], str] = {}
    for target, pairs in class_map.items():
        for pair in pairs:
            if pair in owner and owner[pair] != target:
                report.errors.append(
                    f"source action {pair[0]}:{pair[1]} is mapped to two classes, {owner[pair]!r} and {target!r}"
                )
            owner.setdefault(pair, target)
            if not clips_by_action.get(pair):
                known = sorted({a for s, a in clips_by_action if s == pair[0]})
                hint = _closest(pair[1], known)
                report.errors.append(
                    f"class {target!r}: source action {pair[0]}:{pair[1]} has no clips"
                    + (f" (did you mean {pair[0]}:{hint}?)" if hint else "")
                )
    seen: dict[str, tuple[str, Path]] = {}
    for target, pairs in class_map.items():
        for pair in dict.fromkeys(pairs):
            if owner[pair] != target:  # already reported as an action in two classes, not clip by clip
                continue
            for clip in clips_by_action.get(pair, []):
                if clip.identity in seen:
                    first_target, first_path = seen[clip.identity]
                    where = "twice in class" if first_target == target else "in two classes,"
                    names = repr(target) if first_target == target else f"{first_target!r} and {target!r}"
                    report.errors.append(f"the same clip is listed {where} {names}: {first_path} and {clip.path}")
                else:
                    seen[clip.identity] = (target, clip.path)
    return report


def duplicate_clips(lines: list[str], *, key=lambda line: line.rsplit("/", 1)[-1]) -> dict[str, list[str]]:
    """Clip names that appear under more than one entry of a ``class/video`` list.

    The SynAPT ``sim150_val.txt`` list has such clips (the same rendering filed under two classes).
    """
    where: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        line = line.strip()
        if line:
            where[key(line)].append(line)
    return {name: entries for name, entries in where.items() if len(entries) > 1}


def _closest(name: str, options: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, options, n=1)
    return found[0] if found else None


# --------------------------------------------------------------------------- sampling and splits


def nested_order(items: list, *, seed: int, key: str) -> list:
    """A seeded permutation; every prefix of it is a nested subset (30 in 90 in 150)."""
    rng = random.Random(f"{seed}:{key}")
    order = list(items)
    rng.shuffle(order)
    return order


def balanced_order(clips_by_source: dict[str, list[Clip]], *, seed: int, key: str) -> list[Clip]:
    """Interleave the sources of one class so that every prefix has an equal share of each.

    Each source's clips are shuffled (seeded), then taken round-robin; a source that runs out
    drops out and the others continue, so the share stays as equal as the sources allow.
    """
    queues = [nested_order(clips, seed=seed, key=f"{key}:{name}") for name, clips in sorted(clips_by_source.items())]
    order: list[Clip] = []
    position = 0
    while any(position < len(q) for q in queues):
        order.extend(q[position] for q in queues if position < len(q))
        position += 1
    return order


def grouped_split(clips: list[Clip], *, fractions: dict[str, float], seed: int) -> dict[str, str]:
    """Assign every clip to ``train`` or a held-out split so clips sharing a group key stay together.

    Group keys (actor, motion seed, source recording) are joined transitively with union-find:
    if A shares an actor with B and B a motion with C, all three land on one side. Each clip's
    ``meta["target"]`` names its target class, for the per-class quotas.

    Args:
        fractions: held-out share of each class per split, e.g. {"val": 0.1} or
            {"val": 0.2, "test": 0.3}; the rest is ``train``.
    Returns:
        {clip identity: split name}.
    """
    if sum(fractions.values()) >= 1.0:
        raise UserError(f"held-out fractions {fractions} leave nothing to train on")
    components = _components(clips)
    # Walk whole components in a seeded order; one goes to a held-out split while every class
    # it touches is still under that split's quota, so each class gets about its fraction.
    class_size: dict[str, int] = defaultdict(int)
    for clip in clips:
        class_size[clip.meta["target"]] += 1
    quota = {(split, name): round(frac * size) for split, frac in fractions.items() for name, size in class_size.items()}
    filled: dict[tuple[str, str], int] = defaultdict(int)
    side: dict[str, str] = {}
    for root in nested_order(sorted(components), seed=seed, key="split"):
        members = components[root]
        touched: dict[str, int] = defaultdict(int)
        for clip in members:
            touched[clip.meta["target"]] += 1
        chosen = "train"
        for split in fractions:
            if all(filled[(split, name)] + n <= quota[(split, name)] for name, n in touched.items()):
                chosen = split
                for name, n in touched.items():
                    filled[(split, name)] += n
                break
        for clip in members:
            side[clip.identity] = chosen
    return side


def _components(clips: list[Clip]) -> dict[str, list[Clip]]:
    """Clips joined by shared group keys, transitively (union-find): {component root: clips}."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for clip in clips:
        keys = [f"id:{clip.identity}", *clip.groups]
        for other in keys[1:]:
            parent[find(other)] = find(keys[0])
    components: dict[str, list[Clip]] = defaultdict(list)
    for clip in clips:
        components[find(f"id:{clip.identity}")].append(clip)
    return components


def group_folds(clips: list[Clip], *, folds: int, seed: int, where: str = "k-fold") -> dict[str, int]:
    """Deal clips into ``folds`` group-disjoint folds of about equal clip counts.

    Groups are joined transitively as in :func:`grouped_split`, so no group is in two folds. They
    are dealt largest first, each to the fold with the fewest clips so far (the lower fold on a
    tie); fold sizes then differ by at most one group's clips. The seed orders groups of equal
    size, so the folds are the same on every machine for one seed. Classes are not stratified:
    a group that is one actor performing every class (KTH, Weizmann) balances them by itself.

    Returns:
        {clip identity: fold index, 0..folds-1}.
    """
    if folds < 2:
        raise UserError(f"{where}: k-fold needs at least 2 folds, got {folds}")
    components = _components(clips)
    if folds > len(components):
        raise UserError(f"{where}: {folds} folds need at least {folds} groups, but its {len(clips)} clips form "
                        f"{len(components)}; use at most {len(components)} folds, or check the group pattern")
    order = nested_order(sorted(components), seed=seed, key="folds")
    order.sort(key=lambda root: -len(components[root]))  # stable: the seeded order stays among equal sizes
    sizes = [0] * folds
    fold_of: dict[str, int] = {}
    for root in order:
        target = min(range(folds), key=lambda f: (sizes[f], f))
        sizes[target] += len(components[root])
        for clip in components[root]:
            fold_of[clip.identity] = target
    return fold_of


def _split_leaks(clips: list[Clip], split: dict[str, str]) -> list[str]:
    sides: dict[str, set[str]] = defaultdict(set)
    for clip in clips:
        for key in clip.groups:
            sides[key].add(split[clip.identity])
    return [key for key, s in sides.items() if len(s) > 1]


# --------------------------------------------------------------------------- frame rate


def resample_indices(num_frames: int, source_fps: float, target_fps: float) -> list[int]:
    """Source frame shown at each target frame time (nearest earlier frame), covering the clip.

    A 15 fps clip of 8 frames becomes 16 frames at 30 fps, each source frame shown twice; a
    60 fps clip keeps every other frame. Duration is preserved to within one target frame.
    """
    duration = num_frames / source_fps
    count = max(1, round(duration * target_fps))
    return [min(num_frames - 1, int(k * source_fps / target_fps + 1e-6)) for k in range(count)]


def normalise_fps(path: Path, out: Path, *, target_fps: float) -> tuple[float, int]:
    """Re-encode ``path`` at ``target_fps`` into ``out`` (H.264) unless it already is.

    Returns:
        (the source's fps, frames written; 0 when the source already had ``target_fps``).
    """
    from synapt.data.video import open_video
    from synapt.sim.video import write_clip

    with open_video(path) as reader:
        source_fps, frames = float(reader.fps), reader.num_frames
        if abs(source_fps - target_fps) <= 0.01:
            return source_fps, 0
        video = reader.get_frames(resample_indices(frames, source_fps, target_fps))  # (T, 3, H, W)
    rgb = video.permute(0, 2, 3, 1).numpy()
    h, w = rgb.shape[1] // 2 * 2, rgb.shape[2] // 2 * 2  # yuv420p needs even sides
    write_clip(out, rgb[:, :h, :w], fps=round(target_fps))
    return source_fps, len(rgb)


# --------------------------------------------------------------------------- the whole job


@dataclass
class CurationResult:
    out_dir: Path
    class_names: list[str]
    counts: dict[str, int]  # split -> clips
    subsets: list[str]
    report: LintReport


def curate(
    *,
    class_map: dict[str, list[tuple[str, str]]],
    sources: list[Source],
    out_dir: str | Path,
    num_classes: int | None = None,
    clips_per_class: int | None = None,
    class_subsets: tuple[int, ...] = (),
    clip_subsets: tuple[int, ...] = (),
    val_fraction: float = 0.1,
    test_fraction: float = 0.0,
    seed: int = 0,
    fps: float | None = 30.0,
    allow_short: bool = False,
    keep_splits: bool = False,
    fold: tuple[int, int] | None = None,
) -> CurationResult:
    """Lint, balance, split and write a curated pre-training set.

    Args:
        class_map: {target class: [(source, action), ...]}.
        sources: the datasets named in the class map.
        out_dir: where the curated set goes (a dataset folder in the ``synapt`` format).
        num_classes: N; None takes every class of the map (in a seeded order).
        clips_per_class: M; None takes the smallest class size, so classes stay balanced.
        class_subsets / clip_subsets: sizes of nested subsets to write as well, e.g. (30, 90)
            and (250, 750); each pair (n, m) with n <= N and m <= M becomes ``subsets/cN_nM``.
        val_fraction: share of each class that goes to ``val`` (grouped, see grouped_split).
        test_fraction: share of each class that goes to ``test`` (downstream suites need one).
        seed: fixes class order, clip order and the split.
        fps: the frame rate of the curated set: clips at another rate are re-encoded at it into
            ``out_dir/videos/`` (nearest frame in time, duration kept). None keeps every rate.
        allow_short: keep classes with fewer than M clips instead of refusing.
        keep_splits: keep each clip's split from its source (a class subset of a downstream
            suite must keep its test clips as test; a real dataset keeps its official test
            split) instead of splitting anew; with ``val_fraction`` and no val split in the
            source, a grouped val split is carved from train.
        fold: ``(i, k)`` for the k-fold protocol: every chosen clip, whatever its source split,
            goes into one of k group-disjoint folds (:func:`group_folds`); fold i (0-based) is
            ``test`` and a grouped val (``val_fraction``) is carved from the other folds.
    """
    out_dir = Path(out_dir)
    by_name = {s.name: s for s in sources}
    needed = {src for pairs in class_map.values() for src, _ in pairs}
    unknown = sorted(needed - set(by_name))
    if unknown:
        raise UserError(
            f"class map names source(s) {', '.join(unknown)} that were not given; add --source "
            f"{unknown[0]}=FORMAT:ROOT"
        )
    clips_by_action: dict[tuple[str, str], list[Clip]] = defaultdict(list)
    for name in sorted(needed):
        for clip in read_source(by_name[name]):
            clips_by_action[(clip.source, clip.action)].append(clip)

    report = lint(class_map, clips_by_action)
    report.raise_if_errors()
    targets = nested_order(sorted(class_map), seed=seed, key="classes")
    if num_classes is not None:
        if num_classes > len(targets):
            raise UserError(f"num_classes={num_classes} but the class map has {len(targets)} classes")
        targets = targets[:num_classes]
    ordered: dict[str, list[Clip]] = {}
    for target in targets:
        per_source: dict[str, list[Clip]] = defaultdict(list)
        for source, action in class_map[target]:
            per_source[source].extend(clips_by_action[(source, action)])
        ordered[target] = balanced_order(per_source, seed=seed, key=target)
        for clip in ordered[target]:
            clip.meta["target"] = target
    smallest = min(len(v) for v in ordered.values())
    per_class = clips_per_class if clips_per_class is not None else smallest
    short = {t: len(v) for t, v in ordered.items() if len(v) < per_class}
    if short and not allow_short:
        name, have = next(iter(sorted(short.items())))
        raise UserError(
            f"class {name!r} has {have} clips but clips_per_class={per_class} "
            f"({len(short)} class(es) short); lower clips_per_class or pass allow_short"
        )
    for target in ordered:
        ordered[target] = ordered[target][:per_class]

    chosen = [clip for clips in ordered.values() for clip in clips]
    fold_sizes = None
    if fold is not None:
        if keep_splits or test_fraction:
            raise UserError("curate: fold (k-fold) makes its own test split; it cannot be combined with "
                            "keep_splits or test_fraction")
        index, k = fold
        fold_of = group_folds(chosen, folds=k, seed=seed, where=f"curate ({', '.join(sorted(needed))})")
        fold_sizes = [sum(f == i for f in fold_of.values()) for i in range(k)]
        split = {identity: "test" if f == index else "train" for identity, f in fold_of.items()}
        train = [c for c in chosen if split[c.identity] == "train"]
        if val_fraction > 0:
            split.update(grouped_split(train, fractions={"val": val_fraction}, seed=seed))
            if "val" not in split.values():
                raise UserError(f"fold {index + 1} of {k}: no group fits a grouped val split of {val_fraction:.0%} "
                                f"of each class in its {len(train)} training clips (every class a group touches "
                                f"must have room for its clips); use fewer folds or a larger dataset")
    elif keep_splits:
        unsplit = [c.path for c in chosen if not c.meta.get("split")]
        if unsplit:
            raise UserError(f"keep_splits: {unsplit[0]} has no split in its source manifest")
        split = {c.identity: c.meta["split"] for c in chosen}
        if val_fraction > 0 and "val" not in split.values():
            # Official train/test only (UCF101, HMDB51, ...): select on a val split carved from
            # train, grouped, never on test.
            train = [c for c in chosen if split[c.identity] == "train"]
            split.update(grouped_split(train, fractions={"val": val_fraction}, seed=seed))
    else:
        fractions = {name: f for name, f in (("val", val_fraction), ("test", test_fraction)) if f > 0}
        split = grouped_split(chosen, fractions=fractions, seed=seed)
    leaks = _split_leaks(chosen, split)
    if leaks:
        raise UserError(f"clips sharing {leaks[0]} would be on both sides of the split")

    class_names = sorted(ordered)  # labels by name, so a subset's order never depends on sampling
    out_dir.mkdir(parents=True, exist_ok=True)
    resampled = _normalise_frame_rates(chosen, out_dir, fps) if fps is not None else 0
    counts = _write_set(out_dir, ordered, class_names, class_map, split)
    subsets = []
    for n in sorted(set(class_subsets) | ({len(targets)} if clip_subsets else set())):
        for m in sorted(set(clip_subsets) | ({per_class} if class_subsets else set())):
            if n > len(targets) or m > per_class or (n, m) == (len(targets), per_class):
                continue
            name = f"c{n}_n{m}"
            subset = {t: ordered[t][:m] for t in targets[:n]}
            _write_set(out_dir / "subsets" / name, subset, sorted(subset), class_map, split)
            subsets.append(name)

    summary = {
        "seed": seed,
        "num_classes": len(targets),
        "clips_per_class": per_class,
        "counts": counts,
        "sources": {s.name: {"format": s.format, "root": str(s.root)} for s in sources if s.name in needed},
        "class_map": {t: [f"{s}:{a}" for s, a in pairs] for t, pairs in class_map.items()},
        "short_classes": short,
        "fps": fps,
        "resampled_to_fps": resampled,
        "subsets": subsets,
        "lint": {"errors": report.errors, "warnings": report.warnings},
    }
    if fold is not None:
        summary["fold"] = {"test_fold": fold[0] + 1, "folds": fold[1], "clips_per_fold": fold_sizes}
    atomic_write_text(out_dir / "curation.json", json.dumps(summary, indent=2) + "\n")
    return CurationResult(out_dir, class_names, counts, subsets, report)


def _normalise_frame_rates(clips: list[Clip], out_dir: Path, fps: float) -> int:
    """Re-encode clips whose rate is not ``fps``; the clip then points at its new file."""
    from tqdm import tqdm

    changed = 0
    # Generated clips state their rate in the manifest; other sources are probed.
    unknown_or_off = [c for c in clips if c.meta.get("fps") is None or abs(float(c.meta["fps"]) - fps) > 0.01]
    for clip in tqdm(unknown_or_off, desc="frame rate", unit="clip", disable=len(unknown_or_off) < 50):
        target = out_dir / "videos" / clip.meta["target"] / f"{clip.source}-{clip.path.stem}.mp4"
        try:
            if target.is_file():  # an earlier, interrupted curation already made it
                written = normalise_fps(target, target, target_fps=fps)[1] or _frame_count(target)
            else:
                written = normalise_fps(clip.path, target, target_fps=fps)[1]
        except UserError:
            raise
        except Exception as err:
            raise UserError(f"{clip.path}: cannot be read to normalise its frame rate ({err})") from None
        if written:  # re-encoded: a new file, so the source's hash and frame count no longer apply
            clip.path = target
            clip.meta.update(frames=written, resampled=True)
            changed += 1
        clip.meta["fps"] = fps
    return changed


def _frame_count(path: Path) -> int:
    from synapt.data.video import open_video

    with open_video(path) as reader:
        return reader.num_frames


def _write_set(
    folder: Path,
    clips_by_class: dict[str, list[Clip]],
    class_names: list[str],
    class_map: dict[str, list[tuple[str, str]]],
    split: dict[str, str],
) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    label_of = {name: i for i, name in enumerate(class_names)}
    rows, counts = [], defaultdict(int)
    for name in class_names:
        for clip in clips_by_class[name]:
            side = split[clip.identity]
            counts[side] += 1
            rows.append(
                {
                    "clip_id": f"{clip.source}-{clip.meta.get('clip_id') or clip.path.stem}",
                    "path": os.path.relpath(clip.path, folder),
                    "label": label_of[name],
                    "class_name": name,
                    "family": "curated",
                    "source": clip.source,
                    "source_action": clip.action,
                    "split": side,
                    "fps": clip.meta.get("fps"),
                    "frames": clip.meta.get("frames"),
                    "sha256": None if clip.meta.get("resampled") or not re.fullmatch(r"[0-9a-f]{64}", clip.identity)
                    else clip.identity,
                }
            )
    atomic_write_text(folder / MANIFEST, "".join(json.dumps(r) + "\n" for r in rows))
    classes = [
        {"id": i, "name": n, "family": "curated", "description": "from " + ", ".join(f"{s}:{a}" for s, a in class_map[n])}
        for i, n in enumerate(class_names)
    ]
    atomic_write_text(folder / "classes.json", json.dumps(classes, indent=2) + "\n")
    return dict(counts)
