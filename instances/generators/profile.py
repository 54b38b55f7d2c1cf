"""Timing profiles: the hardware constants of a generated instance, as data.

A profile (``instances/profiles/NAME.json``, format ``partialloading/profile@1``)
holds the loading rates of V(S) = S / disk + S / PCIe (eq. 8), the GPU memory Q,
and per model family the compute constants of t = mu b + beta (eq. 9) and the
peak-memory model

    A_i(b) = weights_i + b * activation_bytes_per_image + context_bytes,

so that b_max,i = the largest b with A_i(b) <= Q. Every number has an entry in
the profile's ``sources``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from instances.io import InputError, check_fields, is_finite_number, read_json
from instances.model import Loading

FORMAT = "partialloading/profile@1"
DIRECTORY = Path(__file__).resolve().parent.parent / "profiles"
# Calibrated to the paper's Fig. 1 (loading = 88.94 % of latency); the sourced
# hardware limits are the named sensitivity profiles rtx4090-{hdd,ssd,nvme,pagecache}.
DEFAULT = "rtx4090-fig1"
FIG1_LOADING_SHARE = 0.8894  # paper, Section I and Fig. 1: ResNets, batch 32, CIFAR-10
FIG1_BATCH = 32


@dataclass(frozen=True, slots=True)
class Family:
    """Compute and memory constants of one architecture (e.g. ``resnet50``)."""

    mu_s: float
    beta_s: float
    activation_bytes_per_image: float


@dataclass(frozen=True, slots=True)
class Profile:
    """A server's timing and memory constants (see the module docstring)."""

    name: str
    disk_bytes_per_s: float
    pcie_bytes_per_s: float
    gpu_memory_bytes: float
    context_bytes: float
    bytes_per_param: int
    families: dict[str, Family]
    sources: dict[str, str]

    @property
    def loading(self) -> Loading:
        """Return the loading rates as the instance's :class:`Loading` record."""
        return Loading(self.disk_bytes_per_s, self.pcie_bytes_per_s)

    def family(self, arch: str) -> Family:
        """Return the constants of ``arch``; a clear error if the profile lacks it."""
        try:
            return self.families[arch]
        except KeyError:
            raise ValueError(f'profile "{self.name}": no family "{arch}"') from None

    def max_batch(self, arch: str, weight_bytes: float) -> int:
        """Return b_max: the largest b with A(b) = weights + b act + context <= Q."""
        room = self.gpu_memory_bytes - self.context_bytes - weight_bytes
        b = math.floor(room / self.family(arch).activation_bytes_per_image)
        if b < 1:
            raise ValueError(
                f'profile "{self.name}": a {arch} model of {weight_bytes:.0f} bytes '
                f"leaves no GPU memory for a single image"
            )
        return b


def loading_share(profile: Profile, batch: int = FIG1_BATCH) -> float:
    """Return Fig. 1's loading share of latency under ``profile``.

    The mean over ResNet-18/34/50 (fp32, 10 classes) of V(S) / (V(S) + mu b + beta),
    the quantity the paper measures as 88.94 % (docs/instances.md, section 2.1).
    """
    from instances.generators import resnet

    shares = []
    for arch in resnet.ARCHS:
        size = profile.bytes_per_param * sum(n for _, n in resnet.layers(arch))
        load = size / profile.disk_bytes_per_s + size / profile.pcie_bytes_per_s
        family = profile.family(arch)
        shares.append(load / (load + family.mu_s * batch + family.beta_s))
    return sum(shares) / len(shares)


def _number(path: str, value, minimum: float = 0.0, strict: bool = True) -> float:
    ok = is_finite_number(value) and (value > minimum if strict else value >= minimum)
    if not ok:
        sign = ">" if strict else ">="
        raise InputError(
            f"{path}: must be a finite number {sign} {minimum:g}, got {value!r}"
        )
    return value


def path(name: str) -> Path:
    """Return the file of a shipped profile, e.g. ``path("rtx4090-hdd")``."""
    file = DIRECTORY / f"{name.removesuffix('.json')}.json"
    if not file.is_file():
        names = ", ".join(sorted(p.stem for p in DIRECTORY.glob("*.json")))
        raise InputError(
            f'profile: no file and no shipped profile "{name}" (shipped: {names})'
        )
    return file


def load(source: str | Path | None = None) -> Profile:
    """Read a profile.

    Parameters
    ----------
    source
        A profile file, the name of a shipped profile (``"rtx4090-nvme"``), or
        None for the default (``rtx4090-fig1``).

    Raises
    ------
    InputError
        On an unreadable or invalid file, naming the offending field.
    """
    file = Path(source) if source is not None and Path(source).is_file() else None
    if file is None:
        file = path(str(source) if source is not None else DEFAULT)
    try:
        return _parse(read_json(file))
    except InputError as error:
        raise InputError(f"profile {file}: {error}") from None


def _parse(data) -> Profile:
    rates = ("disk_bytes_per_s", "pcie_bytes_per_s", "gpu_memory_bytes")
    check_fields(
        "",
        data,
        (
            "format",
            "name",
            *rates,
            "context_bytes",
            "bytes_per_param",
            "families",
            "sources",
        ),
        ("description",),
    )
    if data["format"] != FORMAT:
        raise InputError(f'format: expected "{FORMAT}", got {data["format"]!r}')
    for key in rates:
        _number(key, data[key])
    _number("context_bytes", data["context_bytes"], strict=False)
    if not isinstance(data["bytes_per_param"], int) or data["bytes_per_param"] < 1:
        raise InputError(
            f"bytes_per_param: must be an integer >= 1, got {data['bytes_per_param']!r}"
        )
    if not isinstance(data["families"], dict) or not data["families"]:
        raise InputError("families: expected a non-empty object")
    families = {}
    for arch, raw in data["families"].items():
        where = f"families.{arch}"
        check_fields(where, raw, ("mu_s", "beta_s", "activation_bytes_per_image"))
        families[arch] = Family(
            _number(f"{where}.mu_s", raw["mu_s"], strict=False),
            _number(f"{where}.beta_s", raw["beta_s"], strict=False),
            _number(
                f"{where}.activation_bytes_per_image", raw["activation_bytes_per_image"]
            ),
        )
    return Profile(
        name=str(data["name"]),
        disk_bytes_per_s=data["disk_bytes_per_s"],
        pcie_bytes_per_s=data["pcie_bytes_per_s"],
        gpu_memory_bytes=data["gpu_memory_bytes"],
        context_bytes=data["context_bytes"],
        bytes_per_param=data["bytes_per_param"],
        families=families,
        sources=dict(data["sources"]),
    )
