"""The ledger: an append-only RFC 6962 log of generated media, in an SQLite file or in
PostgreSQL (see `storage`: the location picks the backend; everything else is shared).

Every write is one transaction that holds the ledger's write lock from its start, so
writers appending at once are put in one total order (no gaps, no duplicate indices) and
a writer killed part-way leaves the log as it was before that append. Entries, tree
nodes and the near-duplicate index are written in the same transaction, so they can
never disagree except by tampering, which `check()` finds. Not thread-safe: use one
`Ledger` per thread or process.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fauxlab.provenance.ledger import neardup, transfer
from fauxlab.provenance.ledger.check import CheckReport, run_check
from fauxlab.provenance.ledger.entries import WATERMARK_ID_LIMIT, EntryData, LedgerEntry
from fauxlab.provenance.ledger.errors import (
    EntryNotFoundError,
    LedgerCorruptError,
    LedgerError,
    LedgerKeyError,
    LedgerRequestError,
)
from fauxlab.provenance.ledger.heads import (
    SignedTreeHead,
    key_id,
    load_or_create_signing_key,
    raw_public_key,
    sign_head,
)
from fauxlab.provenance.ledger.merkle import consistency_proof_from, inclusion_proof_from, leaf_hash
from fauxlab.provenance.ledger.proofs import ConsistencyProof, InclusionProof
from fauxlab.provenance.ledger.schema import stored_bytes
from fauxlab.provenance.ledger.storage import Database, LedgerLocation, open_storage
from fauxlab.provenance.ledger.transfer import VerifyResult
from fauxlab.provenance.ledger.tree import Frontier, stored_root, with_subtrees
from fauxlab.provenance.ledger.writes import explain_collision, insert_entries, is_collision

P = ParamSpec("P")
R = TypeVar("R")

_ENTRY_COLUMNS = "entry_json, leaf_hash"


def _translated(method: Callable[Concatenate[Ledger, P], R]) -> Callable[Concatenate[Ledger, P], R]:
    """Run a public method with database errors turned into ledger errors."""

    @functools.wraps(method)
    def wrapper(self: Ledger, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._db.errors():
            return method(self, *args, **kwargs)

    return wrapper


class Ledger:
    """A transparency ledger at `location` (a file, or a `postgresql://` URL); heads are
    signed with `signing_key`.

    Without `signing_key`, the key at `key_path` (default `fauxlab_home()/
    ledger-ed25519.pem`) is loaded, or created, the first time a head is signed:
    reading and proving need no key. `busy_timeout` is how long a write waits for
    another writer's; `durable` waits for every commit to reach the disk (slower;
    survives power loss).
    """

    def __init__(
        self,
        location: LedgerLocation,
        *,
        signing_key: Ed25519PrivateKey | None = None,
        key_path: Path | None = None,
        busy_timeout: float = 5.0,
        durable: bool = False,
    ) -> None:
        self.busy_timeout = busy_timeout
        self._key = signing_key
        self._key_path = key_path
        # (size, right edge) after this process's last committed append: saves reading the
        # edge back while no other process has appended since
        self._edge: tuple[int, Frontier] | None = None
        self._db = open_storage(location, busy_timeout, durable)
        self.path = self._db.name
        """Where the ledger is, as messages show it (a URL without its password)."""
        self._conn = self._db.conn

    @classmethod
    def open(cls, location: LedgerLocation, **options: Any) -> Ledger:
        """Open or create the ledger at `location`; `options` as for the constructor."""
        return cls(location, **options)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({self.path!r})"

    def _size(self, conn: Database) -> int:
        row = conn.execute("SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM entries").fetchone()
        return int(row[0])

    def _entry(self, data: bytes, stored_leaf: bytes) -> LedgerEntry:
        """Parse a stored entry, refusing one whose bytes no longer match its leaf hash."""
        if leaf_hash(stored_bytes(data)) != stored_bytes(stored_leaf):
            raise LedgerCorruptError(
                f"{self.path}: an entry's JSON no longer matches its leaf hash: the ledger "
                "was altered; run `Ledger.check()` to find the first altered entry"
            )
        try:
            return LedgerEntry.from_json(stored_bytes(data))
        except LedgerError as exc:
            raise LedgerCorruptError(f"{self.path}: a stored entry is malformed ({exc})") from exc

    # -- writing ------------------------------------------------------------------------

    @property
    @_translated
    def size(self) -> int:
        """Number of entries (the tree size)."""
        return self._size(self._conn)

    def append(self, data: EntryData) -> LedgerEntry:
        """Record one entry; return it with its index."""
        return self.append_many([data])[0]

    @_translated
    def append_many(self, items: Sequence[EntryData]) -> list[LedgerEntry]:
        """Record entries in one transaction: all of them, consecutively, or none."""
        items = list(items)
        if not items:
            return []
        self._edge, edge = None, self._edge
        entries: list[LedgerEntry] = []
        try:
            with self._db.transaction(write=True) as conn:
                size = self._size(conn)
                entries = [LedgerEntry.from_data(size + k, data) for k, data in enumerate(items)]
                frontier = list(edge[1]) if edge and edge[0] == size else None
                blobs = [entry.to_json() for entry in entries]
                frontier = insert_entries(conn, self.path, size, entries, blobs, frontier)
        except Exception as exc:
            if is_collision(exc):
                raise explain_collision(self._conn, self.path, entries) from exc
            raise
        self._edge = (size + len(entries), frontier)  # only once committed
        return entries

    @_translated
    def new_watermark_id(self) -> int:
        """A random 32-bit watermark id no entry uses yet (random, so ids reveal no order)."""
        for _ in range(64):
            candidate = secrets.randbelow(WATERMARK_ID_LIMIT)
            if self.find_watermark(candidate) is None:
                return candidate
        raise LedgerError(f"{self.path}: no unused watermark id found in 64 random tries")

    # -- reading ------------------------------------------------------------------------

    @_translated
    def get(self, index: int) -> LedgerEntry:
        """The entry at `index`, or `EntryNotFoundError`."""
        row = self._conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE leaf_index = ?", (index,)
        ).fetchone()
        if row is None:
            raise EntryNotFoundError(
                f"{self.path}: no entry {index}; the ledger has {self.size} entries"
            )
        return self._entry(*row)

    @_translated
    def find_sha256(self, sha256: str) -> list[LedgerEntry]:
        """Entries whose final file bytes have this SHA-256 (oldest first)."""
        rows = self._conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE sha256 = ? ORDER BY leaf_index",
            (sha256.lower(),),
        )
        return [self._entry(*row) for row in rows]

    @_translated
    def find_watermark(self, watermark_id: int) -> LedgerEntry | None:
        """The entry that carries this watermark id, if any."""
        row = self._conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE watermark_id = ?", (watermark_id,)
        ).fetchone()
        return None if row is None else self._entry(*row)

    @_translated
    def find_near(
        self,
        pdq: str | Sequence[str],
        max_distance: int = 31,
        limit: int | None = 10,
        *,
        scan: bool = False,
    ) -> list[neardup.NearMatch]:
        """Entries with a PDQ hash within `max_distance` bits of any query hash, closest
        first; `scan=True` reads every stored hash instead of using the index (baseline)."""
        queries = neardup.pdq_bytes(pdq)
        with self._db.transaction(write=False) as conn:
            ranked = neardup.search(conn, queries, max_distance, limit, scan)
            indices = [index for index, _ in ranked]
            entries = {}
            if indices:  # PostgreSQL refuses an empty IN list
                rows = conn.execute(
                    f"SELECT leaf_index, {_ENTRY_COLUMNS} FROM entries "
                    f"WHERE leaf_index IN ({','.join('?' * len(indices))})",
                    indices,
                )
                entries = {row[0]: self._entry(row[1], row[2]) for row in rows}
        return [neardup.NearMatch(entries[index], distance) for index, distance in ranked]

    # -- tree heads and proofs -----------------------------------------------------------

    def _signing_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = load_or_create_signing_key(self._key_path)
        return self._key

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 key heads are signed with (loads or creates the key)."""
        return raw_public_key(self._signing_key())

    @_translated
    def root(self, tree_size: int | None = None) -> str:
        """Merkle root (hex) of the first `tree_size` entries (default: all)."""
        with self._db.transaction(write=False) as conn:
            size = self._checked_size(conn, tree_size)
            return stored_root(conn, self.path, size).hex()

    def _checked_size(self, conn: Database, tree_size: int | None) -> int:
        size = self._size(conn)
        if tree_size is None:
            return size
        if not 0 <= tree_size <= size:
            raise LedgerRequestError(
                f"{self.path}: tree size {tree_size} is outside 0..{size} (the ledger's size)"
            )
        return tree_size

    @_translated
    def heads(self) -> list[SignedTreeHead]:
        """Every signed tree head stored, oldest first."""
        return transfer.stored_heads(self._conn)

    @_translated
    def latest_head(self) -> SignedTreeHead | None:
        """The latest stored signed head, as it is: reading it signs nothing and needs no
        key (it may cover fewer entries than the ledger has by now)."""
        return transfer.latest_head(self._conn)

    @_translated
    def head(self, *, fresh: bool = False, adopt: bool = False) -> SignedTreeHead:
        """The signed head of the current tree: the latest stored one if it still covers
        every entry and is ours, else a new one, signed and stored (`fresh` forces that).

        A ledger whose latest head another key signed (an import) is never re-signed
        silently: that raises `LedgerKeyError` unless `adopt` says to sign it with ours,
        after checking it (`check`)."""
        key = self._signing_key()
        ours = key_id(raw_public_key(key))
        latest = transfer.latest_head(self._conn)
        if latest and not fresh and latest.key_id == ours and latest.tree_size == self.size:
            return latest
        if latest and latest.key_id != ours and not adopt:
            raise LedgerKeyError(
                f"{self.path}: the latest head is signed by another key (id "
                f"{latest.key_id[:16]}), not this installation's ({ours[:16]}); it is not "
                "re-signed silently: check the ledger, then adopt it with `fauxlab ledger "
                "head --adopt`"
            )
        with self._db.transaction(write=True) as conn:
            size = self._size(conn)
            head = sign_head(key, size, stored_root(conn, self.path, size))
            transfer.store_head(conn, head)
        return head

    @_translated
    def prove(self, index: int, tree_size: int | None = None) -> InclusionProof:
        """Audit path of entry `index` in the tree of `tree_size` entries (default: all)."""
        with self._db.transaction(write=False) as conn:
            size = self._checked_size(conn, tree_size)
            if not 0 <= index < size:
                raise EntryNotFoundError(
                    f"{self.path}: entry {index} is outside a tree of {size} entries"
                )
            row = conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE leaf_index = ?", (index,)
            ).fetchone()
            if row is None:
                raise EntryNotFoundError(f"{self.path}: entry {index} is missing; run check()")
            path = with_subtrees(
                conn, self.path, lambda subtree: inclusion_proof_from(subtree, index, size)
            )
        return InclusionProof(
            index=index,
            tree_size=size,
            leaf_hash=stored_bytes(row[1]).hex(),
            path=tuple(h.hex() for h in path),
            entry_json=stored_bytes(row[0]).decode("utf-8", errors="replace"),
        )

    @_translated
    def prove_consistency(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """Proof that the first `old_size` entries are a prefix of the first `new_size`."""
        with self._db.transaction(write=False) as conn:
            size = self._checked_size(conn, new_size)
            if not 0 <= old_size <= size:
                raise LedgerRequestError(f"{self.path}: old size {old_size} is outside 0..{size}")
            path = with_subtrees(
                conn, self.path, lambda subtree: consistency_proof_from(subtree, old_size, size)
            )
        return ConsistencyProof(old_size, size, tuple(h.hex() for h in path))

    # -- audit and transfer --------------------------------------------------------------

    @_translated
    def check(self, trusted_keys: Iterable[bytes] | None = None) -> CheckReport:
        """Recompute everything from the entry JSON; name the first altered entry.

        Each head's signature is checked against the key it carries; pass
        `trusted_keys` (raw public keys) to also refuse heads signed by any other key.
        """
        trusted = None if trusted_keys is None else set(trusted_keys)
        with self._db.transaction(write=False) as conn:
            return run_check(conn, trusted)

    @_translated
    def export(self, path: Path, *, overwrite: bool = False) -> SignedTreeHead:
        """Write every entry, a fresh signed head and its public key as JSONL (see
        `transfer`); return the head, which `verify_export` checks the file against."""
        latest = self.latest_head()  # an imported head is passed on as it was signed
        head = latest if latest is not None and latest.tree_size == self.size else self.head()
        with self._db.transaction(write=False) as conn:
            transfer.write_export(conn, head, Path(path), overwrite=overwrite)
        return head

    @_translated
    def import_(self, path: Path, public_key: bytes | None = None) -> VerifyResult:
        """Load an export into this empty ledger, after verifying it whole.

        `public_key` pins the key the export's head must be signed with; without it
        the key inside the file is used, which proves integrity but not origin.
        """
        verified = transfer.verified_export(Path(path), public_key)  # before taking the lock
        try:
            with self._db.transaction(write=True) as conn:
                transfer.load_export(conn, self.path, verified)
        except Exception as exc:
            if is_collision(exc):  # an export with one id twice (its own check refuses it)
                raise explain_collision(self._conn, self.path, verified[1]) from exc
            raise
        self._edge = None
        return verified[0]
