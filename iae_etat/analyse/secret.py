"""Statistical secrecy of the published indicators (pure functions).

Primary rules: a count of people strictly between 0 and the threshold (default 11) is secret; an
amount (euros, ETP of the SIAE) is secret when a single SIAE contributes more than the dominance
threshold (default 85 %) of it — the indicator table carries the largest contribution of each
amount cell (``contribution_max``), which is dropped from the output.
Secondary rule: every additive equation — a territory equals the sum of its communes (EPCI,
arrondissement, département), a département the sum of its EPCI or arrondissements, the
``ensemble`` the sum of the kinds of SIAE — may not hold exactly one secret cell, for it could be
solved; another cell of the equation is suppressed (the smallest non-zero part, else the total)
until no equation has a single unknown; each public is a relation of its own (publics are not
additive: a person can be BRSA and DELD), so the publics only add their own primary cells and
equations between territories and kinds; amounts follow the same equations, and the additive
relations between indicators of one cell (``sommes``: a total and its parts, e.g. the total of
the aides and its financeurs) are equations too. A territory is the sum of its parts only when
they are attributed the same way (column ``methode``: by residence, the EPCI and the département
are not sums of communes by implantation). Ratios built on a secret cell are secret as well.
The ``restreinte`` rows keep every value; the ``publique`` rows carry an empty value and ``s``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.analyse.audit import Protection
from iae_etat.analyse.coordination import coordinate
from iae_etat.analyse.hierarchies import Hierarchies
from iae_etat.common.entries import Entries
from iae_etat.tables.codage import CellKeys, row_keys
from iae_etat.territoires.levels import level_frame

# The largest contribution of one SIAE to an amount, for the dominance rule (never published).
CONTRIBUTION_MAX = "contribution_max"

PUBLIE, SECRET, NON_DISPONIBLE = "publie", "s", "nd"
STATUTS = sorted((PUBLIE, SECRET, NON_DISPONIBLE))
DIFFUSIONS = ["publique", "restreinte"]
RELATIONS = (("commune", "epci"), ("commune", "arrondissement"), ("commune", "departement"),
             ("commune", "zone_emploi"), ("commune", "clpe"),
             ("epci", "departement"), ("arrondissement", "departement"))
# Where the figures of the structures come from: the respondents' answers, or the ASP (all SIAE).
REPONSES, ASP = "reponses", "asp"
_LOG = None  # set to print to follow the coordination while developing
_CELL = ["niveau", "code", "indicateur", "type_siae", "public"]


def apply_secret(table: pd.DataFrame, territoires: pd.DataFrame, seuil: int,
                 effectifs: set[str], derived: dict[str, tuple[str, ...]],
                 montants: frozenset[str] = frozenset(), seuil_dominance: float = 0.85,
                 sommes: dict[str, tuple[str, ...]] | None = None,
                 primary: pd.Series | None = None,
                 structures: dict[str, str] | None = None, min_siae: int = 3,
                 protection: Protection | None = None, coordination: bool = True,
                 rapport: dict | None = None, memo: Entries | None = None) -> pd.DataFrame:
    """``table`` with ``statut`` and ``diffusion``: restreinte rows then publique rows.

    ``montants`` are the amount indicators under the dominance rule (``seuil_dominance``, a
    share); ``sommes`` the additive relations between indicators (total → parts); ``primary``
    (aligned on the rows of ``table``) adds cells to the primary secret, for a small count that
    another published figure would give back (``attribution.hors_secret``).

    ``structures`` maps the indicators drawn from the structures' data to where they come from
    (``REPONSES``: the respondents; ``ASP``: every SIAE): a cell with 1 to ``min_siae`` − 1
    contributing SIAE is secret. With ``protection`` the secondary suppression is driven by the
    linear-programming audit over every grid (``coordination``; off, the audit only reports);
    ``rapport`` receives its summary (``audit``) and its failures (``echecs``); ``memo`` keeps
    the coordination of each zone for the next build (``coordination``).
    """
    data = table.reset_index(drop=True)
    value = data["valeur"]
    data["statut"] = pd.Categorical.from_codes(
        np.where(value.isna(), STATUTS.index(NON_DISPONIBLE), STATUTS.index(PUBLIE)), STATUTS)
    counts = data["indicateur"].isin(effectifs)
    amounts = data["indicateur"].isin(montants)
    secret = counts & (value > 0) & (value < seuil)
    if primary is not None:
        secret = secret | (counts & value.notna() & primary.to_numpy())
    if CONTRIBUTION_MAX in data.columns:  # dominance, on amounts and on counts
        top = data.pop(CONTRIBUTION_MAX)
        secret |= (amounts | counts) & (value > 0) & (top > seuil_dominance * value)
    if structures:
        secret |= few_contributors(data, structures, min_siae)
    additive = (counts | amounts).to_numpy()
    if protection is None:
        if secret.any():
            closed = _hierarchies(data, additive, territoires, sommes, None) \
                .close(secret.to_numpy(dtype=bool))
            secret = pd.Series(closed, index=data.index)
    else:
        # the width of each primary cell's protection interval, sought from its partners
        need = np.where(secret, np.where(counts, protection.effectifs,
                                         protection.montants * value.abs()), 0.0)

        def hierarchies(rows: np.ndarray, frame: pd.DataFrame,
                        places: pd.DataFrame) -> Hierarchies:  # those of one zone
            return _hierarchies(frame, additive[rows], places, sommes, need[rows])

        result = coordinate(
            data, secret.to_numpy(dtype=bool), secret.to_numpy(dtype=bool),
            additive & value.notna().to_numpy(), counts.to_numpy(), territoires, hierarchies,
            sommes, protection, drive=coordination, memo=memo,
            read={"additive": additive, "need": need}, log=_LOG)
        secret = pd.Series(result.secret, index=data.index)
        if rapport is not None:
            rapport["audit"] = result.summary()
            rapport["echecs"] = result.failures()
    secret = _propagate(data, secret, derived)
    size = len(data)
    out = pd.concat([data, data], ignore_index=True)
    del data
    out["diffusion"] = pd.Categorical.from_codes(
        np.repeat([DIFFUSIONS.index("restreinte"), DIFFUSIONS.index("publique")], size),
        DIFFUSIONS)
    hidden = size + np.flatnonzero(secret.to_numpy(dtype=bool))  # the publique rows
    out.loc[hidden, "statut"] = SECRET
    out.loc[hidden, "valeur"] = np.nan
    return out


def few_contributors(data: pd.DataFrame, structures: dict[str, str],
                     min_siae: int) -> pd.Series:
    """Cells of the indicators drawn from the structures' data with 1 to ``min_siae`` − 1
    contributing SIAE: the respondents (``nb_siae × taux_reponse``) for the answers, every SIAE
    for the ASP; counted by territory and kind, for every public of the cell."""
    place = row_keys(data, ["niveau", "code", "type_siae"])
    value = data["valeur"].to_numpy(dtype=float, na_value=np.nan)
    ensemble = (data["public"] == "ensemble").to_numpy()

    def first(indicateur: str) -> pd.Series:  # its first known value in each place
        rows = ensemble & (data["indicateur"] == indicateur).to_numpy()
        return pd.Series(value[rows]).groupby(place[rows]).first()

    siae = first("nb_siae")
    out = np.zeros(len(data), dtype=bool)
    if siae.empty:
        return pd.Series(out, index=data.index)
    respondents = (siae * first("taux_reponse").reindex(siae.index).fillna(0) / 100).round()
    rows = np.flatnonzero(data["indicateur"].isin(list(structures)).to_numpy()
                          & ~np.isnan(value))
    asp = data["indicateur"].iloc[rows].isin([i for i, k in structures.items() if k == ASP])
    count = np.where(asp.to_numpy(), siae.reindex(place[rows]).to_numpy(),
                     respondents.reindex(place[rows]).to_numpy())
    count = np.nan_to_num(count, nan=0.0)
    out[rows] = (count > 0) & (count < min_siae)
    return pd.Series(out, index=data.index)


def equations(data: pd.DataFrame, territoires: pd.DataFrame,
              sommes: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """The additive equations between rows of ``data``: columns ``equation, relation, row,
    total``.

    ``equation`` is an integer identifying the equation, ``relation`` its kind (``commune>epci``,
    ``types``, ``somme:<total>``…), ``row`` an index of ``data``; ``total`` is True for the
    left-hand side. When ``data`` has a ``methode`` column, a territory is the sum of its parts
    only if they are attributed the same way (by residence, an EPCI is not the sum of its
    communes by implantation). ``sommes`` adds, in every cell, the equation of each total
    indicator with its part indicators.
    """
    cells = CellKeys(data, _CELL)
    # the attribution alone (before « + »): an estimate or a source adds up like the rest
    methods = None
    if "methode" in data.columns:
        methods = data[["niveau", "indicateur", "methode"]].drop_duplicates().astype(str)
        methods = methods.assign(methode=methods["methode"].str.split("+").str[0]) \
            .drop_duplicates()
    names: list[str] = []
    parts: list[tuple[np.ndarray, ...]] = []

    def add(name: str, rows: np.ndarray, total_rows: np.ndarray) -> None:
        parts.append(_equation_rows(len(names), rows, total_rows, len(data)))
        names.append(name)

    for child, parent in RELATIONS:
        child_map, parent_map = level_frame(territoires, child), level_frame(territoires, parent)
        child_level, parent_level = (cells.code_of("niveau", n) for n in (child, parent))
        if child_map is None or parent_map is None or child_level < 0 or parent_level < 0:
            continue
        link = child_map[["code_commune", "code"]].merge(
            parent_map[["code_commune", "code"]], on="code_commune", suffixes=("", "_parent"))
        link = link.drop_duplicates("code").set_index("code")["code_parent"]
        # the parent's code of each child's code, looked up for the zone's children only (the
        # codes of a national table number tens of thousands)
        code_names = cells.categories["code"]
        child_at = code_names.get_indexer(link.index)
        parent_of = np.full(len(code_names), -1, dtype=np.intp)
        parent_of[child_at[child_at >= 0]] = \
            code_names.get_indexer(link.to_numpy())[child_at >= 0]
        members = cells.codes["niveau"] == child_level
        if methods is not None:
            mixed = _mixed_methods(methods, child, parent)
            if mixed:
                members &= ~data["indicateur"].isin(mixed).to_numpy()
        rows = np.flatnonzero(members)
        parent_code = parent_of[cells.codes["code"][rows]]
        rows, parent_code = rows[parent_code >= 0], parent_code[parent_code >= 0]
        add(f"{child}>{parent}", rows,
            cells.positions(cells.key(rows, niveau=parent_level, code=parent_code)))
    ensemble = cells.code_of("type_siae", "ensemble")
    if ensemble >= 0:
        rows = np.flatnonzero(cells.codes["type_siae"] != ensemble)
        add("types", rows, cells.positions(cells.key(rows, type_siae=ensemble)))
    for total, members_of in (sommes or {}).items():
        total_code = cells.code_of("indicateur", total)
        if total_code >= 0:
            rows = np.flatnonzero(data["indicateur"].isin(members_of).to_numpy())
            add(f"somme:{total}", rows, cells.positions(cells.key(rows, indicateur=total_code)))
    if not parts:
        return pd.DataFrame({"equation": pd.Series(dtype="int64"),
                             "relation": pd.Series(dtype="string"), "row": pd.Series(dtype=int),
                             "total": pd.Series(dtype=bool)})
    del cells  # its index of keys: a national table's equations are held next
    pieces = [list(column) for column in zip(*parts, strict=True)]
    parts.clear()
    # one column at a time, its pieces dropped as it is joined
    number, row, total_flag, equation = (np.concatenate(pieces.pop(0)) for _ in range(4))
    labels = data.index.to_numpy()
    if labels.dtype.kind in "iu" and (not len(labels) or labels.max() < np.iinfo(np.int32).max):
        labels = labels.astype(np.int32)  # a national table's rows fit in 32 bits
    return pd.DataFrame({
        "equation": equation,
        "relation": pd.Categorical.from_codes(number, names),
        "row": labels[row], "total": total_flag}, copy=False)


def _hierarchies(data: pd.DataFrame, rows: np.ndarray, territoires: pd.DataFrame,
                 sommes: dict[str, tuple[str, ...]] | None,
                 need: np.ndarray | None) -> Hierarchies:
    """The hierarchies of the ``rows`` of ``data`` (a boolean mask: the additive ones)."""
    return Hierarchies(data, equations(data[rows], territoires, sommes), need)


def _mixed_methods(methods: pd.DataFrame, child: str, parent: str) -> set[str]:
    """Indicators whose cells at ``child`` and ``parent`` levels are attributed differently."""
    child_m = methods[methods["niveau"] == child].set_index("indicateur")["methode"]
    parent_m = methods[methods["niveau"] == parent].set_index("indicateur")["methode"]
    both = child_m.index.intersection(parent_m.index)
    return {str(i) for i in both if child_m[i] != parent_m[i]}


def _equation_rows(number: int, rows: np.ndarray, total_rows: np.ndarray,
                   size: int) -> tuple[np.ndarray, ...]:
    """Members of the equations of relation ``number``: each child (position in the data) with
    the row of its total (-1 when that row does not exist), then each total once. Returns the
    relation numbers, positions, total flags and equation identifiers."""
    known = total_rows >= 0
    rows, total_rows = rows[known], total_rows[known]
    totals = np.unique(total_rows)
    equation = number * np.int64(size) + np.concatenate([total_rows, totals]).astype(np.int64)
    return (np.full(len(equation), number, dtype=np.int16),
            np.concatenate([rows, totals]).astype(np.int32),
            np.concatenate([np.zeros(len(rows), bool), np.ones(len(totals), bool)]), equation)


def _propagate(data: pd.DataFrame, secret: pd.Series,
               derived: dict[str, tuple[str, ...]]) -> pd.Series:
    """A derived indicator is secret where one of its components is, in the same cell or in
    the ``ensemble`` public of that cell (the total a share of a public is divided by)."""
    cells = CellKeys(data, ["niveau", "code", "type_siae", "public"])
    ensemble = cells.code_of("public", "ensemble")
    hidden = secret.to_numpy(dtype=bool)
    out = hidden.copy()
    indicateur = data["indicateur"]
    for indicator, components in derived.items():
        sources = cells.keys[hidden & indicateur.isin(components).to_numpy()]
        if not len(sources):
            continue
        target = np.flatnonzero((indicateur == indicator).to_numpy())
        hits = pd.Index(cells.keys[target]).isin(sources)
        if ensemble >= 0:
            hits |= pd.Index(cells.key(target, public=ensemble)).isin(sources)
        out[target] |= hits
    return pd.Series(out, index=secret.index)
