"""Random quantities declared as data: demand per period and shipping lead times.

A distribution is declared by a mapping (a TOML table, a JSON object, a GraphML attribute
holding JSON) with a ``dist`` key and that kind's parameters, or by a bare number, which
means a constant::

    4                                        # constant 4
    {"dist": "poisson", "mean": 4}
    {"dist": "discrete", "values": [1, 2, 3], "probs": [0.2, 0.5, 0.3]}
    {"dist": "uniform", "low": 1, "high": 3}           # continuous on [low, high]
    {"dist": "normal", "mean": 10, "std": 3}           # truncated at 0 (max(0, x))
    {"dist": "gamma", "mean": 2, "std": 0.5}
    {"dist": "negative_binomial", "mean": 4, "std": 3} # whole units; needs std^2 > mean
    {"dist": "lognormal", "mean": 2, "std": 0.5}       # mean and std of the variable itself
    {"dist": "trace", "values": [4, 0, 7, 3]}          # a fixed sequence, in order
    {"dist": "exponential", "mean": 3}
    {"dist": "shifted_exponential", "shift": 1, "mean": 3}  # 1 + exponential of mean 2
    {"dist": "geometric", "mean": 4}                   # on 1, 2, 3, ...: p = 1 / mean
    {"dist": "compound_poisson", "rate": 1, "size": 10}  # see below
    {"dist": "merton_jump", "level": 10, "volatility": 0.0387, "jump_rate": 15,
     "jump_mean": 0, "jump_std": 0.02, "cap": 20, "path_length": 200}  # see MertonJump

A compound Poisson declaration is customer demand made of customers: they arrive as a Poisson
process of ``rate`` per period and each buys a quantity drawn from ``size`` (a declaration
of its own, any kind but ``trace`` and ``compound_poisson``). Drawn as the demand of a
period it is the sum of that period's customers' sizes; an engine that lets customers
arrive one at a time (``arrivals="poisson"``) draws the arrivals at ``rate`` and each
customer's size from ``size`` instead (see :class:`CompoundPoisson`).

``normal`` is cut at zero by ``max(0, x)``, which raises the mean when ``std`` is not small
against ``mean`` (by ``std * 0.399`` when ``mean`` is 0); :func:`normal_below_zero` gives the
probability mass that cut moves. ``gamma`` and ``negative_binomial`` keep the declared mean
and std exactly, for any ratio of the two.

Bounds: every parameter is a finite number ``>= 0`` and at most :data:`MAX_VALUE`
(``1e9``; numpy refuses a Poisson mean above ~9e18 and no supply chain sees a billion units
or periods in one draw); gamma and lognormal moments must give finite, positive derived
parameters (shape and scale, or mu and sigma), so ``std = 1e200`` on ``mean = 2`` is refused.
:func:`parse_distribution` turns a declaration into a frozen value with ``mean`` and
``draw(rng, start, n)``; a bad declaration raises :class:`DistributionError` naming the
place (``where``) and the field at fault. Values are in the caller's units (periods for lead
times, units of stock for demand).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np

__all__ = [
    "KINDS",
    "MAX_VALUE",
    "CompoundPoisson",
    "Constant",
    "Discrete",
    "Distribution",
    "DistributionError",
    "Exponential",
    "Gamma",
    "Geometric",
    "LogNormal",
    "MertonJump",
    "NegativeBinomial",
    "Normal",
    "Poisson",
    "Trace",
    "Uniform",
    "normal_below_zero",
    "parse_distribution",
]


#: Largest parameter (mean, std, bound or value) of a declaration, in the caller's units.
MAX_VALUE = 1e9


class DistributionError(ValueError):
    """A distribution declaration is malformed; the message names where and which field."""


class Distribution(Protocol):
    """What the engine needs of a random quantity."""

    @property
    def mean(self) -> float: ...

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        """Return the ``n`` values for draws ``start, ..., start + n - 1`` (float64)."""
        ...

    def to_spec(self) -> float | dict[str, Any]:
        """The declaration this value parses from (round-trips through parse_distribution)."""
        ...


@dataclass(frozen=True)
class Constant:
    value: float

    @property
    def mean(self) -> float:
        return self.value

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        return np.full(n, self.value, dtype=float)

    def to_spec(self) -> float:
        return self.value


@dataclass(frozen=True)
class Poisson:
    mean: float

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        return rng.poisson(self.mean, n).astype(float)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "poisson", "mean": self.mean}


@dataclass(frozen=True)
class Discrete:
    values: tuple[float, ...]
    probs: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.probs))

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=n, p=self.probs)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "discrete", "values": list(self.values), "probs": list(self.probs)}


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "uniform", "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Normal:
    """Normal(mean, std) truncated at 0 by ``max(0, x)`` (so ``mean`` is that of max(0, X))."""

    mu: float
    std: float

    @property
    def mean(self) -> float:
        if self.std == 0:
            return max(self.mu, 0.0)
        z = self.mu / self.std
        phi = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
        return self.mu * cdf + self.std * phi

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        return np.maximum(rng.normal(self.mu, self.std, n), 0.0)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "normal", "mean": self.mu, "std": self.std}


@dataclass(frozen=True)
class Gamma:
    mean: float
    std: float

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        if self.std == 0:
            return np.full(n, self.mean)
        return rng.gamma(*_gamma_shape_scale(self.mean, self.std), n)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "gamma", "mean": self.mean, "std": self.std}


@dataclass(frozen=True)
class NegativeBinomial:
    """Whole units with the declared mean and std (variance above the mean, as in demand
    that is burstier than Poisson): ``n = mean^2 / (std^2 - mean)``, ``p = mean / std^2``."""

    mean: float
    std: float

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        return rng.negative_binomial(*_negative_binomial_n_p(self.mean, self.std), n).astype(float)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "negative_binomial", "mean": self.mean, "std": self.std}


def normal_below_zero(mean: float, std: float) -> float:
    """P(X < 0) for X ~ Normal(mean, std): the mass ``max(0, x)`` moves up to 0."""
    if std == 0:
        return 0.0
    return 0.5 * math.erfc(mean / std / math.sqrt(2))


@dataclass(frozen=True)
class LogNormal:
    mean: float
    std: float

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        return rng.lognormal(*_lognormal_mu_sigma(self.mean, self.std), n)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "lognormal", "mean": self.mean, "std": self.std}


@dataclass(frozen=True)
class Trace:
    """A fixed sequence: draw ``k`` is ``values[k]``; drawing past the end is an error."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        if start + n > len(self.values):
            raise DistributionError(
                f"trace of length {len(self.values)} is too short: draws up to index "
                f"{start + n - 1} were asked for; give at least as many values as periods"
            )
        return np.asarray(self.values[start : start + n], dtype=float)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "trace", "values": list(self.values)}


@dataclass(frozen=True)
class Exponential:
    """``shift`` plus an exponential variable of mean ``mean - shift`` (``shift = 0``: the
    plain exponential). Lead times of this kind make a pipeline of M/G/inf type."""

    mean: float
    shift: float = 0.0

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        draws = rng.exponential(self.mean - self.shift, n)
        return draws + self.shift if self.shift else draws

    def to_spec(self) -> dict[str, Any]:
        if self.shift:
            return {"dist": "shifted_exponential", "shift": self.shift, "mean": self.mean}
        return {"dist": "exponential", "mean": self.mean}


@dataclass(frozen=True)
class Geometric:
    """The number of trials up to the first success, on ``1, 2, 3, ...`` (``p = 1 / mean``):
    the classic size of a customer's order with a long tail."""

    mean: float

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        return rng.geometric(1.0 / self.mean, n).astype(float)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "geometric", "mean": self.mean}


@dataclass(frozen=True)
class CompoundPoisson:
    """Customers arriving as a Poisson process of ``rate`` per period, each buying a
    quantity drawn from ``size``.

    :meth:`draw` gives the demand of whole periods: a Poisson number of customers, then their
    sizes in order, summed per period. An engine with one-at-a-time customers reads
    :attr:`rate` and :attr:`size` instead, so the same declaration means the same demand
    in both forms.
    """

    rate: float
    size: Distribution

    @property
    def mean(self) -> float:
        return self.rate * self.size.mean

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        customers = rng.poisson(self.rate, n)
        sizes = self.size.draw(rng, 0, int(customers.sum()))
        return np.bincount(np.repeat(np.arange(n), customers), sizes, minlength=n)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "compound_poisson", "rate": self.rate, "size": self.size.to_spec()}


_REDRAWS = 1000  # paths tried before a merton_jump declaration is called hopeless
_LONGEST_PATH = 100_000  # periods of a merton_jump path (customers draw whole ones)


@dataclass(frozen=True)
class MertonJump:
    """Non-stationary demand: a capped jump-diffusion path (Merton, 1976, "Option pricing
    when underlying stock returns are discontinuous", J. Financial Economics 3), the
    non-stationary demand of Liu, Hu, Peng & Yang (2023), "Multi-agent deep reinforcement
    learning for multi-echelon inventory management" (the seed paper's [22], HAPPO).

    The log-level ``X`` starts each path at 0 and moves every period by
    ``volatility * Z + jump_mean * N + jump_std * sqrt(N) * Z'`` (``Z, Z'`` standard normal,
    ``N`` Poisson(``jump_rate``): the sum of ``N`` normal jumps of mean ``jump_mean`` and std
    ``jump_std``), with no drift; demand in period ``t`` of the path is
    ``min(cap, floor(level * exp(X_t)))`` units. A path whose uncapped mean reaches ``cap``
    is drawn again (the reference's rule: it keeps paths that wander up inside the cap).
    Paths are ``path_length`` periods long and independent: the process restarts at
    ``level`` every ``path_length`` periods, so it is demand for episodes of that length.

    The reference's generator (its public code, ``envs/generator.py``) has
    ``delta = 0.01``, ``delta_t = 15`` (diffusion std ``delta * sqrt(delta_t)`` = 0.0387
    per period), 15 jumps per period of std ``0.01 * 2``, base demand 10 and cap 20: the
    example declaration in the module docstring.

    :meth:`draw` gives whole paths only (``start`` and ``n`` multiples of
    ``path_length``): customers draw their demand so (:class:`sim.agents.CustomerAgent`);
    anywhere else (a lead time, an order size) it is refused.
    """

    level: float
    volatility: float
    jump_rate: float
    jump_mean: float
    jump_std: float
    cap: float
    path_length: int

    @property
    def mean(self) -> float:
        """Mean demand per period (units), estimated from 2,000 paths of a fixed seed (no
        closed form under the cap and the redraw rule), once per declaration."""
        return _path_mean(self)

    def draw(self, rng: np.random.Generator, start: int, n: int) -> np.ndarray:
        if start % self.path_length or n % self.path_length:
            raise DistributionError(
                f"merton_jump draws whole paths of {self.path_length} periods (asked for "
                f"{n} draws from {start}); use it for customer demand"
            )
        return np.concatenate([self._path(rng) for _ in range(n // self.path_length)])

    def _path(self, rng: np.random.Generator) -> np.ndarray:
        steps = self.path_length - 1
        for _ in range(_REDRAWS):
            z = rng.standard_normal(steps)
            jumps = rng.poisson(self.jump_rate, steps)
            z_jump = rng.standard_normal(steps)
            moves = (
                self.volatility * z
                + self.jump_mean * jumps
                + self.jump_std * np.sqrt(jumps) * z_jump
            )
            with np.errstate(over="ignore"):  # a path gone to inf is redrawn
                demand = np.floor(self.level * np.exp(np.concatenate(([0.0], np.cumsum(moves)))))
            if demand.mean() < self.cap:
                return np.minimum(demand, self.cap)
        raise DistributionError(
            f"merton_jump: {_REDRAWS} paths in a row averaged at least the cap ({self.cap:g}); "
            "lower volatility, jump_rate, jump_mean or jump_std, or raise the cap"
        )

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "merton_jump", **{f.name: getattr(self, f.name) for f in fields(self)}}


@functools.lru_cache(maxsize=64)
def _path_mean(dist: MertonJump) -> float:
    return float(dist.draw(np.random.default_rng(0), 0, 2000 * dist.path_length).mean())


def _square(x: float) -> float:
    """``x ** 2`` (the power, as the draws always used: ``x * x`` may differ in the last
    bit), inf where it overflows."""
    try:
        return x**2
    except OverflowError:
        return math.inf


def _gamma_shape_scale(mean: float, std: float) -> tuple[float, float]:
    """Gamma shape ``(mean/std)^2`` and scale ``mean/shape``; out of range, 0 or inf
    instead of an exception."""
    shape = _square(mean / std)
    return shape, mean / shape if shape > 0 else math.inf


def _negative_binomial_n_p(mean: float, std: float) -> tuple[float, float]:
    """numpy's ``n`` (successes, real) and ``p`` for this mean and std (``std^2 > mean``)."""
    variance = _square(std)
    return mean * mean / (variance - mean), mean / variance


def _lognormal_mu_sigma(mean: float, std: float) -> tuple[float, float]:
    """mu and sigma of the underlying normal for a lognormal with this mean and std."""
    sigma2 = math.log1p(_square(std / mean))
    return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)


def _derived(values: tuple[float, float], names: str, spec: Mapping[str, Any], where: str) -> None:
    """Refuse moments whose derived parameters are not finite (or a shape/scale of 0)."""
    if not all(math.isfinite(v) for v in values) or (spec["dist"] == "gamma" and min(values) <= 0):
        raise DistributionError(
            f"{where}: mean={spec['mean']!r} and std={spec['std']!r} give {names} "
            f"{values[0]!r}, {values[1]!r}, out of range; bring std/mean nearer to 1"
        )


def _number(
    spec: Mapping[str, Any], key: str, where: str, *, positive: bool = False, signed: bool = False
) -> float:
    if key not in spec:
        raise DistributionError(f"{where}.{key}: missing (required by dist={spec['dist']!r})")
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DistributionError(f"{where}.{key}: must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise DistributionError(f"{where}.{key}: must be > 0, got {value!r}")
    if value < 0 and not signed:
        raise DistributionError(f"{where}.{key}: must be >= 0, got {value!r}")
    if abs(value) > MAX_VALUE:
        raise DistributionError(f"{where}.{key}: must be <= {MAX_VALUE:g}, got {value!r}")
    return float(value)


def _numbers(spec: Mapping[str, Any], key: str, where: str) -> tuple[float, ...]:
    values = spec.get(key)
    if not isinstance(values, Sequence) or isinstance(values, str) or len(values) == 0:
        raise DistributionError(f"{where}.{key}: must be a non-empty list of numbers")
    out = []
    for i, v in enumerate(values):
        if (
            isinstance(v, bool)
            or not isinstance(v, int | float)
            or not math.isfinite(v)
            or not 0 <= v <= MAX_VALUE
        ):
            raise DistributionError(
                f"{where}.{key}[{i}]: must be a number from 0 to {MAX_VALUE:g}, got {v!r}"
            )
        out.append(float(v))
    return tuple(out)


_PARAMS = {
    "constant": ("value",),
    "poisson": ("mean",),
    "discrete": ("values", "probs"),
    "uniform": ("low", "high"),
    "normal": ("mean", "std"),
    "gamma": ("mean", "std"),
    "lognormal": ("mean", "std"),
    "negative_binomial": ("mean", "std"),
    "trace": ("values",),
    "exponential": ("mean",),
    "shifted_exponential": ("shift", "mean"),
    "geometric": ("mean",),
    "compound_poisson": ("rate", "size"),
    "merton_jump": (
        "level",
        "volatility",
        "jump_rate",
        "jump_mean",
        "jump_std",
        "cap",
        "path_length",
    ),
}
KINDS: tuple[str, ...] = tuple(_PARAMS)


def parse_distribution(spec: Any, where: str = "distribution") -> Distribution:
    """Turn a declaration (see the module docstring) into a distribution value.

    Args:
        spec: a number (constant) or a mapping with ``dist`` and that kind's parameters.
        where: the place of the declaration, used in error messages
            (e.g. ``edge 'w'->'r' attribute 'lead_time'``).

    Raises:
        DistributionError: naming ``where``, the field and the fix.
    """
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return Constant(_number({"dist": "constant", "value": spec}, "value", where))
    if not isinstance(spec, Mapping):
        raise DistributionError(
            f"{where}: must be a number or a table with 'dist', got {type(spec).__name__} {spec!r}"
        )
    kind = spec.get("dist")
    if kind not in _PARAMS:
        raise DistributionError(f"{where}.dist: must be one of {', '.join(KINDS)}; got {kind!r}")
    unknown = sorted(set(spec) - {"dist", *_PARAMS[kind]})
    if unknown:
        raise DistributionError(
            f"{where}: unknown field(s) {', '.join(unknown)} for dist={kind!r}; "
            f"expected {', '.join(_PARAMS[kind])}"
        )
    if kind == "constant":
        return Constant(_number(spec, "value", where))
    if kind == "poisson":
        return Poisson(_number(spec, "mean", where))
    if kind == "discrete":
        values, probs = _numbers(spec, "values", where), _numbers(spec, "probs", where)
        if len(values) != len(probs):
            raise DistributionError(
                f"{where}: 'values' has {len(values)} entries but 'probs' has {len(probs)}"
            )
        if abs(sum(probs) - 1.0) > 1e-9:
            raise DistributionError(f"{where}.probs: must sum to 1, got {sum(probs)!r}")
        return Discrete(values, probs)
    if kind == "uniform":
        low, high = _number(spec, "low", where), _number(spec, "high", where)
        if high < low:
            raise DistributionError(f"{where}: high must be >= low, got low={low}, high={high}")
        return Uniform(low, high)
    if kind == "normal":
        return Normal(_number(spec, "mean", where), _number(spec, "std", where))
    if kind == "negative_binomial":
        mean, std = _number(spec, "mean", where, positive=True), _number(spec, "std", where)
        if _square(std) <= mean:
            raise DistributionError(
                f"{where}.std: a negative binomial needs std^2 > mean, got std={std!r} and "
                f"mean={mean!r}; use poisson for std^2 = mean, or gamma"
            )
        return NegativeBinomial(mean, std)
    if kind in ("gamma", "lognormal"):
        mean, std = _number(spec, "mean", where, positive=True), _number(spec, "std", where)
        if kind == "gamma":
            if std > 0:
                _derived(_gamma_shape_scale(mean, std), "shape and scale", spec, where)
            return Gamma(mean, std)
        _derived(_lognormal_mu_sigma(mean, std), "mu and sigma", spec, where)
        return LogNormal(mean, std)
    if kind == "exponential":
        return Exponential(_number(spec, "mean", where, positive=True))
    if kind == "shifted_exponential":
        shift, mean = _number(spec, "shift", where), _number(spec, "mean", where, positive=True)
        if mean < shift:
            raise DistributionError(
                f"{where}.mean: must be >= shift ({shift!r}), got {mean!r} (mean is that of the "
                "whole variable, shift included)"
            )
        return Exponential(mean, shift)
    if kind == "geometric":
        mean = _number(spec, "mean", where)
        if mean < 1:
            raise DistributionError(f"{where}.mean: must be >= 1 (values 1, 2, ...), got {mean!r}")
        return Geometric(mean)
    if kind == "compound_poisson":
        rate = _number(spec, "rate", where)
        if "size" not in spec:
            raise DistributionError(f"{where}.size: missing (required by dist='compound_poisson')")
        size = parse_distribution(spec["size"], f"{where}.size")
        if isinstance(size, Trace | CompoundPoisson | MertonJump):
            raise DistributionError(
                f"{where}.size: a customer's size cannot be a {spec['size']['dist']!r}; "
                "give a number or a distribution such as poisson, geometric or discrete"
            )
        return CompoundPoisson(rate, size)
    if kind == "merton_jump":
        length = _number(spec, "path_length", where, positive=True)
        if not length.is_integer() or length > _LONGEST_PATH:
            raise DistributionError(
                f"{where}.path_length: must be a whole number of periods up to "
                f"{_LONGEST_PATH:,}, got {spec['path_length']!r}"
            )
        return MertonJump(
            level=_number(spec, "level", where, positive=True),
            volatility=_number(spec, "volatility", where),
            jump_rate=_number(spec, "jump_rate", where),
            jump_mean=_number(spec, "jump_mean", where, signed=True),
            jump_std=_number(spec, "jump_std", where),
            cap=_number(spec, "cap", where, positive=True),
            path_length=int(length),
        )
    return Trace(_numbers(spec, "values", where))
