"""A full audit of a ledger file: recompute everything from the entry JSON and compare.

What it can localise depends on what was changed. An edited JSON row, an edited leaf
hash or a deleted row names that exact entry. Someone who rewrites a row's JSON *and*
its leaf hash leaves the stored tree nodes disagreeing, which names the block of
entries under the lowest wrong node. Someone who also rewrites every node on the path
can only be caught by an earlier signed head: the report then names the range between
the last head that still verifies and the first that does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from fauxlab.provenance.ledger import neardup
from fauxlab.provenance.ledger.entries import LedgerEntry
from fauxlab.provenance.ledger.errors import LedgerError
from fauxlab.provenance.ledger.heads import SignedTreeHead, verify_head
from fauxlab.provenance.ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof_from,
    leaf_hash,
    node_hash,
    subtree_root_from_perfect,
    verify_consistency,
)
from fauxlab.provenance.ledger.schema import stored_bytes
from fauxlab.provenance.ledger.storage import Database
from fauxlab.provenance.ledger.transfer import stored_heads

Levels = list[list[bytes | None]]
"""Recomputed perfect-subtree hashes by level; None where a deleted entry is below."""

_CHECKSUM_PRIME = 2_147_483_647
MAX_PROBLEMS = 1000
"""Problems listed one by one; beyond this they are only counted (see `CheckReport`)."""


@dataclass(frozen=True)
class CheckProblem:
    """One inconsistency; `exact` when `index` is the altered entry, not a range start."""

    index: int | None
    message: str
    exact: bool = True


@dataclass(frozen=True)
class CheckReport:
    """What `Ledger.check()` found; `first_bad_index` is the earliest altered entry."""

    tree_size: int
    entries_checked: int
    nodes_checked: int
    heads_checked: int
    problems: tuple[CheckProblem, ...] = field(default=())
    key_ids: tuple[str, ...] = ()
    """Ids of the keys that signed the stored heads, in order of first use."""
    unlisted: int = 0
    """Problems found beyond the first `MAX_PROBLEMS`, counted but not listed."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_index(self) -> int | None:
        exact = [p.index for p in self.problems if p.index is not None and p.exact]
        ranged = [p.index for p in self.problems if p.index is not None]
        return min(exact) if exact else min(ranged) if ranged else None

    def summary(self) -> str:
        if self.ok:
            return (
                f"ledger intact: {self.entries_checked} entries, {self.nodes_checked} tree "
                f"nodes and {self.heads_checked} signed heads verified"
            )
        first = self.first_bad_index
        where = f"; first altered or removed entry: {first}" if first is not None else ""
        count = len(self.problems) + self.unlisted
        lines = [f"ledger altered: {count} problem(s){where}"]
        lines.extend(f"  - {p.message}" for p in self.problems)
        if self.unlisted:
            lines.append(f"  - ... and {self.unlisted} more")
        return "\n".join(lines)


class _Audit:
    def __init__(self, conn: Database, trusted: set[bytes] | None) -> None:
        self.conn = conn
        self.trusted = trusted
        self.key_ids: dict[str, None] = {}
        self.problems: list[CheckProblem] = []
        self.leaves: list[bytes | None] = []
        self.checksum = 0
        self.spans: list[tuple[int, int]] = []  # entry ranges a reported problem lies in
        self.unlisted = 0

    def report(
        self, index: int | None, message: str, exact: bool = True, end: int | None = None
    ) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.unlisted += 1  # entries come first, in order: the earliest stay listed
            return
        self.problems.append(CheckProblem(index, message, exact))
        if index is not None:
            self.spans.append((index, index + 1 if end is None else end))

    def explained(self, start: int, end: int) -> bool:
        """Whether a problem already reported lies inside [start, end): a wrong node
        above a wrong leaf (or a wrong lower node) adds nothing but a wider range."""
        return any(start <= first and last <= end for first, last in self.spans)

    # -- entries -------------------------------------------------------------------------

    def entries(self) -> None:
        pdq_rows = self._pdq_groups()
        pending = next(pdq_rows, None)
        rows = self.conn.execute(
            "SELECT leaf_index, entry_json, leaf_hash, sha256, watermark_id, kind, created "
            "FROM entries ORDER BY leaf_index"
        )
        for index, blob, stored, *columns in rows:
            if index != len(self.leaves):
                gap = len(self.leaves)
                self.report(gap, f"entries {gap}..{index - 1} were deleted")
                self.leaves.extend([None] * (index - gap))
            data = stored_bytes(blob)
            self.leaves.append(leaf_hash(data))
            if bytes(stored) != self.leaves[-1]:
                self.report(index, f"entry {index}: its JSON no longer matches its leaf hash")
            digests: list[tuple[int, bytes]] = []
            while pending is not None and pending[0] < index:
                self.report(pending[0], f"PDQ rows of entry {pending[0]} have no entry")
                pending = next(pdq_rows, None)
            if pending is not None and pending[0] == index:
                digests, pending = pending[1], next(pdq_rows, None)
            self._entry(index, data, columns, digests)
        if pending is not None:
            self.report(pending[0], f"PDQ rows of entry {pending[0]} have no entry")

    def _pdq_groups(self) -> Iterator[tuple[int, list[tuple[int, bytes]]]]:
        """(leaf index, [(hash id, hash), ...]) from the PDQ table, entry by entry."""
        current: tuple[int, list[tuple[int, bytes]]] | None = None
        for hid, digest in self.conn.execute("SELECT hash_id, hash FROM pdq ORDER BY hash_id"):
            index = hid >> neardup.POSITION_BITS
            if current is not None and current[0] != index:
                yield current
                current = None
            if current is None:
                current = (index, [])
            current[1].append((hid, bytes(digest)))
        if current is not None:
            yield current

    def _entry(
        self, index: int, data: bytes, columns: list[object], digests: list[tuple[int, bytes]]
    ) -> None:
        try:
            entry = LedgerEntry.from_json(data)
        except LedgerError as exc:
            self.report(index, f"entry {index}: its JSON is malformed ({exc})")
            return
        if entry.index != index:
            self.report(index, f"entry {index}: its JSON says index {entry.index}")
        expected = [entry.sha256, entry.watermark_id, entry.kind, entry.created]
        if columns != expected:
            self.report(index, f"entry {index}: its indexed columns differ from its JSON")
        pdq = [(neardup.hash_id(index, k), bytes.fromhex(h)) for k, h in enumerate(entry.pdq)]
        if digests != pdq:
            self.report(index, f"entry {index}: its PDQ rows differ from its JSON")
        self.checksum += sum(
            (key * 1_000_003 + hid) % _CHECKSUM_PRIME
            for hid, digest in pdq
            for key in neardup.chunk_keys(digest)
        )

    def chunks(self) -> None:
        """Compare the near-duplicate index by an aggregate (it holds 16 rows per hash)."""
        stored = self.conn.execute(
            f"SELECT COALESCE(SUM((chunk_key * 1000003 + hash_id) % {_CHECKSUM_PRIME}), 0) "
            "FROM pdq_chunks"
        ).fetchone()[0]
        if stored != self.checksum:
            self.report(
                None, "the near-duplicate index (pdq_chunks) differs from the entries' PDQ hashes"
            )

    # -- tree ----------------------------------------------------------------------------

    def levels(self) -> Levels:
        levels: Levels = [self.leaves]
        while len(levels[-1]) >= 2:
            below = levels[-1]
            levels.append(
                [
                    None if left is None or right is None else node_hash(left, right)
                    for left, right in zip(below[0::2], below[1::2], strict=False)
                ]
            )
        return levels

    def nodes(self, levels: Levels) -> int:
        size = len(self.leaves)
        count = 0
        for level, index, digest in self.conn.execute(
            "SELECT level, node_index, hash FROM nodes ORDER BY level, node_index"
        ):
            count += 1
            start, end = index << level, (index + 1) << level
            if end > size:
                self.report(
                    size,
                    f"tree node over entries {start}..{end - 1} outlives them: "
                    f"entries from {size} on were removed",
                )
                continue
            expected = levels[level][index]
            if expected is None or expected == bytes(digest):
                continue
            if not self.explained(start, end):
                self.report(
                    start,
                    f"tree node over entries {start}..{end - 1} does not match them: one of "
                    "them was rewritten (JSON and leaf hash together)",
                    exact=False,
                    end=end,
                )
        expected_count = sum(len(row) for row in levels[1:])
        if count < expected_count:
            self.report(None, f"{expected_count - count} tree node(s) are missing")
        return count

    # -- heads ---------------------------------------------------------------------------

    def heads(self, levels: Levels) -> int:
        heads = stored_heads(self.conn)
        size = len(self.leaves)
        good_size = 0
        previous: SignedTreeHead | None = None
        for number, head in enumerate(heads, start=1):
            name = f"signed head {number} (size {head.tree_size})"
            self.key_ids[head.key_id] = None
            public = bytes.fromhex(head.public_key)
            if not verify_head(head, public):
                self.report(None, f"{name}: its signature does not verify")
            if self.trusted is not None and public not in self.trusted:
                self.report(None, f"{name}: signed by key {head.key_id[:16]}, not a trusted key")
            if head.tree_size > size:
                self.report(size, f"{name}: covers {head.tree_size} entries but only {size} remain")
                continue
            root = _root(levels, head.tree_size)
            if root is None:
                continue  # a deleted entry below it, already reported
            if root.hex() != head.root:
                if not self.explained(0, head.tree_size):
                    self.report(
                        good_size,
                        f"{name}: its root does not match the entries: one of entries "
                        f"{good_size}..{head.tree_size - 1} was rewritten with the tree's hashes",
                        exact=False,
                        end=head.tree_size,
                    )
                continue
            good_size = max(good_size, head.tree_size)
            if previous is not None and not _consistent(levels, previous, head):
                self.report(None, f"{name} is not an extension of the head before it")
            previous = head
        return len(heads)


def _perfect(levels: Levels, level: int, index: int) -> bytes:
    digest = levels[level][index]
    if digest is None:
        raise LookupError(f"no hash at level {level}, index {index}")
    return digest


def _root(levels: Levels, size: int) -> bytes | None:
    if size == 0:
        return EMPTY_ROOT
    try:
        return subtree_root_from_perfect(lambda lv, i: _perfect(levels, lv, i), 0, size)
    except LookupError:
        return None


def _consistent(levels: Levels, old: SignedTreeHead, new: SignedTreeHead) -> bool:
    """Prove old -> new from the recomputed tree and verify against both signed roots."""
    if old.tree_size > new.tree_size:
        return False

    def subtree(start: int, end: int) -> bytes:
        return subtree_root_from_perfect(lambda lv, i: _perfect(levels, lv, i), start, end)

    proof = consistency_proof_from(subtree, old.tree_size, new.tree_size)
    return verify_consistency(old.tree_size, new.tree_size, old.root_bytes, new.root_bytes, proof)


def run_check(conn: Database, trusted: set[bytes] | None = None) -> CheckReport:
    """Audit the ledger behind `conn` (call inside one read transaction); with `trusted`,
    heads must also be signed by one of those raw public keys."""
    audit = _Audit(conn, trusted)
    audit.entries()
    audit.chunks()
    levels = audit.levels()
    nodes = audit.nodes(levels)
    heads = audit.heads(levels)
    return CheckReport(
        tree_size=len(audit.leaves),
        entries_checked=sum(leaf is not None for leaf in audit.leaves),
        nodes_checked=nodes,
        heads_checked=heads,
        problems=tuple(audit.problems),
        unlisted=audit.unlisted,
        key_ids=tuple(audit.key_ids),
    )
