"""Enumerating the game tree of a validated negotiation.

:func:`enumerate_tree` walks the protocol breadth-first from the initial state with a
queue (no recursion, so deep protocols cannot reach Python's recursion limit): at each
node it takes the next step (stage or chance event) whose ``when`` holds, offers the moves
whose protocol condition and the mover's hard preconditions hold, applies each move's
effects and records what every agent observes. Nodes of an agent at the same stage, with
the same observations and the same moves offered, form one information set. The walk
stops with a clear error as soon as the tree would exceed the negotiation's
``max_nodes``, or the memory the tree needs would exceed the memory limit
(:func:`negsim.solvers.budget.memory_limit`, ``NEGSIM_MEMORY_LIMIT``).

Memory grows with the product of the number of nodes and the number of variables (every
stage is a variable, so a long chain of stages grows with the square of its length), and
with the length of the observation histories that label the information sets. Both are
counted as the walk goes, so a protocol too deep for the machine is refused after a
bounded amount of work instead of ending in a ``MemoryError``. A node's state is a numpy
row (a child's is its parent's, copied, with the move's effects set), and the rows of
visited nodes are written into fixed-size blocks, not kept as Python objects.

What each agent has observed is kept as a node of a shared trie of observation
histories, one integer per agent: extending a history and comparing two histories cost
one dictionary look-up, whatever the depth. A condition or effect reads a few variables
of the state, so its value is cached by the codes of those variables (the whole state
records every choice on the path and is nearly unique per node).

The result, :class:`EnumeratedTree`, is plain data in the layout of
:class:`~negsim.games.ExtensiveFormGame` (nodes breadth-first, per-node arrays) plus what
the analysis needs: every variable's code at every node and terminal, the step each node
starts, the chance outcome of each chance edge, waived soft preconditions, and why moves
were blocked.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.errors import ScenarioError
from negsim.games.extensive import CHANCE, DECISION, TERMINAL, Infosets
from negsim.negotiation.expressions import Expression
from negsim.negotiation.model import Move, Stage
from negsim.negotiation.validation import ValidatedNegotiation
from negsim.solvers.budget import _size, memory_limit

_BLOCK_BYTES = 4 * 2**20
# Python objects per node (list slots, label, key, pending item), a generous round figure.
_NODE_OVERHEAD_BYTES = 400
# Per observation of a history used in an information set's key and label: the key's
# tuple slot and the label's "stage=move, " text.
_HISTORY_ITEM_BYTES = 40

__all__ = ["EnumeratedTree", "enumerate_tree"]

_MISSING = object()

OFFERED = "\x00offered:"
"""Marks what a mover remembers about the moves it was offered (never shown in labels)."""

ObservedHistory = tuple[tuple[str, str], ...]
InfosetKey = tuple[int, str, ObservedHistory, tuple[str, ...]]


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class EnumeratedTree:
    """The enumerated game tree of a negotiation (nodes in breadth-first order).

    Attributes
    ----------
    parent, kind, player, infoset : ndarray [N]
        As :class:`~negsim.games.ExtensiveFormGame` takes them (``infoset`` indexes
        :attr:`infosets` at decision nodes and :attr:`chance_infosets` at chance nodes).
    step : ndarray [N]
        Index into the validated negotiation's ``steps`` of the step each node starts
        (-1 at terminals).
    labels : tuple of str
        The move or chance outcome leading to each node (``""`` at the root).
    edge_outcome : ndarray [N, 2]
        For a node reached by a chance outcome: (step index, outcome index); -1 otherwise.
    node_codes : ndarray [N, V]
        The code of every variable at every node, before the node's own step.
    terminal_codes : ndarray [T, V]
        The code of every variable at every terminal (terminals in node order).
    waivers : ndarray [T, K]
        How often each soft precondition was waived on the path to each terminal.
    infosets, chance_infosets : Infosets
        The tables of decision and chance information sets.
    infoset_keys : tuple
        For each decision information set: (agent, stage, what the agent observed, the
        moves offered); observations are ``(step, move or outcome)`` pairs.
    notes : dict of int to list of str
        For nodes where stages were skipped because every move was blocked: why.
    blocked : dict of int to list of (move, reason)
        For nodes where some moves were blocked: which and why.
    """

    parent: np.ndarray
    kind: np.ndarray
    player: np.ndarray
    infoset: np.ndarray
    step: np.ndarray
    labels: tuple[str, ...]
    edge_outcome: np.ndarray
    node_codes: np.ndarray
    terminal_codes: np.ndarray
    waivers: np.ndarray
    infosets: Infosets
    chance_infosets: Infosets
    infoset_keys: tuple[InfosetKey, ...]
    notes: Mapping[int, list[str]]
    blocked: Mapping[int, list[tuple[str, str]]]

    @property
    def num_nodes(self) -> int:
        return int(self.parent.shape[0])

    @property
    def num_terminals(self) -> int:
        return int(self.terminal_codes.shape[0])


def enumerate_tree(validated: ValidatedNegotiation) -> EnumeratedTree:
    """Enumerate the game tree of a validated negotiation.

    Parameters
    ----------
    validated : ValidatedNegotiation
        From :func:`negsim.negotiation.validation.validate`.

    Returns
    -------
    EnumeratedTree

    Raises
    ------
    ScenarioError
        If the tree would grow beyond the negotiation's ``max_nodes``, or a move sets a
        number issue to a value outside its domain.

    Examples
    --------
    >>> from negsim.negotiation import Agent, Issue, Move, Negotiation, Stage
    >>> from negsim.negotiation.validation import validate
    >>> talks = Negotiation("t", agents=[Agent("A"), Agent("B")], issues=[Issue("deal", [False, True])],
    ...     stages=[Stage("offer", "A", [Move("propose"), Move("wait", end=True)]),
    ...             Stage("answer", "B", [Move("accept", set={"deal": True}), Move("refuse")])])
    >>> tree = enumerate_tree(validate(talks))
    >>> tree.num_nodes, tree.num_terminals, tree.infosets.labels
    (5, 3, ('offer | start', 'answer | offer=propose'))
    """
    return _Enumerator(validated).run()


class _Histories:
    """A trie of observation histories: each history is an integer, 0 the empty one."""

    def __init__(self) -> None:
        self._ids: dict[tuple[int, tuple[str, str]], int] = {}
        self._parent: list[int] = [-1]
        self._length: list[int] = [0]
        self._item: list[tuple[str, str]] = [("", "")]
        self._items: dict[int, ObservedHistory] = {0: ()}
        self._texts: dict[int, str] = {0: ""}

    def extend(self, history: int, item: tuple[str, str]) -> int:
        """The history ``history`` followed by ``item`` (created on first use)."""
        key = (history, item)
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self._parent)
            self._parent.append(history)
            self._length.append(self._length[history] + 1)
            self._item.append(item)
        return found

    def length(self, history: int) -> int:
        """How many observations the history holds."""
        return self._length[history]

    def items(self, history: int) -> ObservedHistory:
        """The observations of a history, oldest first."""
        known, newer = self._walk(history, self._items)
        found = self._items[history] = known + newer
        return found

    def text(self, history: int) -> str:
        """The observations as a label: ``"stage=move, event=outcome"`` (offered moves left out)."""
        known, newer = self._walk(history, self._texts)
        parts = [f"{stage}={move}" for stage, move in newer if not stage.startswith(OFFERED)]
        found = self._texts[history] = ", ".join(([known] if known else []) + parts)
        return found

    def _walk(self, history: int, memo: dict[int, Any]) -> tuple[Any, ObservedHistory]:
        # Up to the nearest history already asked for: only the histories asked for are
        # kept, not every prefix (which would be quadratic in a long protocol's depth).
        chain = []
        while history not in memo:
            chain.append(self._item[history])
            history = self._parent[history]
        return memo[history], tuple(reversed(chain))


class _Rows:
    """Integer rows of a fixed width appended one at a time, stored in numpy blocks.

    A list of rows would cost a Python object per row on top of its codes, and one large
    array grown by doubling would need twice the final size at its peak.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows_per_block = max(16, _BLOCK_BYTES // (8 * max(width, 1)))
        self.blocks: list[np.ndarray] = []
        self.used = self.rows_per_block

    def append(self, row: np.ndarray) -> None:
        if self.used == self.rows_per_block:
            self.blocks.append(np.empty((self.rows_per_block, self.width), np.int64))
            self.used = 0
        self.blocks[-1][self.used] = row
        self.used += 1

    def __len__(self) -> int:
        return len(self.blocks) * self.rows_per_block - (self.rows_per_block - self.used if self.blocks else 0)

    def array(self, dtype: type = np.int64) -> np.ndarray:
        """All rows as one ``[rows, width]`` array (the blocks are released)."""
        if not self.blocks:
            return np.zeros((0, self.width), dtype)
        out = np.empty((len(self), self.width), dtype)
        start = 0
        while self.blocks:  # release each block once copied: the peak is the result plus one block
            block = self.blocks.pop(0)
            rows = min(len(block), len(out) - start)
            out[start : start + rows] = block[:rows]
            start += rows
        return out


@dataclass(slots=True)
class _Pending:
    """A node in the queue: where it is in the protocol and what led there."""

    node: int
    pos: int
    state: np.ndarray
    observed: tuple[int, ...]
    waived: tuple[int, ...]


class _Enumerator:
    """One breadth-first walk; the lists it fills become an :class:`EnumeratedTree`."""

    def __init__(self, validated: ValidatedNegotiation) -> None:
        self.v = validated
        self.variables = validated.variables
        self.var_names = validated.var_names
        self.var_index = {n: i for i, n in enumerate(self.var_names)}
        self.agent_index = validated.agent_index
        self.max_nodes = int(validated.negotiation.max_nodes)
        self.histories = _Histories()
        self.observers = [tuple(sorted(o)) for o in validated.step_observers]
        self.move_code = {
            (stage.name, move.name): j + 1
            for stage in validated.negotiation.stages
            for j, move in enumerate(stage.moves)
        }
        self.softs_of: dict[tuple[int, tuple[str, str]], list[tuple[int, Expression]]] = {}
        for k, soft in enumerate(validated.softs):
            self.softs_of.setdefault((soft.agent, soft.move_key), []).append((k, soft.condition))
        # conditions and effects read few variables: their values are cached by those
        self._reads: dict[int, tuple[int, ...]] = {}
        self._values: dict[tuple[int, tuple[int, ...]], Any] = {}
        # per node
        self.parent, self.kind, self.player, self.step_of = [-1], [], [], []
        self.labels: list[str] = [""]
        self.edge_outcome: list[tuple[int, int]] = [(-1, -1)]
        self.keys: list[Any] = []
        self.node_states = _Rows(len(self.var_names))
        self.terminal_states = _Rows(len(self.var_names))
        self.terminal_waivers: list[tuple[int, ...]] = []
        # memory the finished tree will need, counted as nodes are added (bytes)
        self.memory_limit = memory_limit()
        self.planned = 0
        self._bytes_per_node = _NODE_OVERHEAD_BYTES + 16 * len(self.var_names)
        self.notes: dict[int, list[str]] = {}
        self.blocked: dict[int, list[tuple[str, str]]] = {}

    def run(self) -> EnumeratedTree:
        n_agents = len(self.v.negotiation.agents)
        start = _Pending(0, 0, np.array(self.v.initial, np.int64), (0,) * n_agents, (0,) * len(self.v.softs))
        queue = deque([start])
        count = 1
        while queue:
            item = queue.popleft()
            children = self._visit(item)
            if count + len(children) > self.max_nodes:
                raise ScenarioError(
                    f"the protocol grows a game tree of more than {self.max_nodes:,} nodes (the limit, max_nodes); "
                    "merge stages, remove moves or raise max_nodes",
                    key="scenario.max_nodes",
                )
            self._plan(len(children) * self._bytes_per_node, count + len(children))
            for child, label, edge in children:
                self.parent.append(item.node)
                self.labels.append(label)
                self.edge_outcome.append(edge)
                child.node = count
                queue.append(child)
                count += 1
        return self._finish()

    def _plan(self, nbytes: int, nodes: int) -> None:
        """Count memory the tree will need; refuse before it exceeds the limit."""
        self.planned += nbytes
        if self.planned > self.memory_limit:
            raise ScenarioError(
                f"the protocol's game tree needs more than {_size(self.memory_limit)} of memory, the limit "
                f"(NEGSIM_MEMORY_LIMIT), after {nodes:,} nodes with {len(self.var_names):,} variables each "
                "(every stage is a variable, so memory grows with the square of a chain's length); "
                "merge stages or remove moves",
                key="stages",
            )

    # ------------------------------------------------------------------ one node
    def _visit(self, item: _Pending) -> list[tuple[_Pending, str, tuple[int, int]]]:
        """Record one node and return its children (with their labels and chance edges)."""
        self.node_states.append(item.state)
        step_index, moves, why, notes = self._next_step(item.pos, item.state)
        if why:
            self.blocked[item.node] = list(why)
        if notes:
            self.notes[item.node] = list(notes)
        self.step_of.append(step_index)
        if step_index < 0:
            self.kind.append(TERMINAL)
            self.player.append(-1)
            self.keys.append(None)
            self.terminal_states.append(item.state)
            self.terminal_waivers.append(item.waived)
            return []
        if isinstance(self.v.steps[step_index], Stage):
            return self._decision(item, step_index, moves)
        return self._chance(item, step_index)

    def _next_step(self, pos: int, state: np.ndarray) -> tuple[int, list[Move], list, list[str]]:
        """The step a node at ``pos`` starts (-1: none left), its moves, and what was blocked or skipped."""
        why: list[tuple[str, str]] = []
        notes: list[str] = []
        result = (-1, [], why, notes)
        while pos < len(self.v.steps):
            step, when = self.v.steps[pos], self.v.step_when[pos]
            if when is not None and not self._holds(when, state):
                pos += 1
                continue
            if isinstance(step, Stage):
                moves, blocked = self._available(step, state)
                why.extend(blocked)
                if not moves:
                    notes.append(f"stage {step.name!r} skipped: every move of {step.agent} was blocked")
                    pos += 1
                    continue
                result = (pos, moves, why, notes)
            else:
                result = (pos, [], why, notes)
            break
        return result

    def _available(self, stage: Stage, state: np.ndarray) -> tuple[list[Move], list[tuple[str, str]]]:
        moves, why = [], []
        for move in stage.moves:
            key = (stage.name, move.name)
            when = self.v.move_when.get(key)
            if when is not None and not self._holds(when, state):
                why.append((move.name, f"protocol: {when.text}"))
                continue
            failed = [text for cond, text in self.v.hard.get(key, ()) if not self._holds(cond, state)]
            if failed:
                why.append((move.name, "; ".join(failed)))
                continue
            moves.append(move)
        return moves, why

    def _decision(self, item: _Pending, step_index: int, moves: list[Move]) -> list:
        stage = self.v.steps[step_index]
        a = self.agent_index[stage.agent]
        names = tuple(m.name for m in moves)
        self.kind.append(DECISION)
        self.player.append(a)
        self.keys.append((a, stage.name, item.observed[a], names))
        self._plan(_HISTORY_ITEM_BYTES * self.histories.length(item.observed[a]), len(self.keys))
        var = self.var_index[stage.name]
        observers = self.observers[step_index]
        # the mover also remembers which moves it was offered (availability may depend on
        # things it did not see; remembering keeps its recall perfect)
        offered = (OFFERED + stage.name, "|".join(names))
        extend = self.histories.extend
        children = []
        for move in moves:
            key = (stage.name, move.name)
            state = item.state.copy()
            state[var] = self.move_code[key]
            for idx, effect in self.v.move_effects[key]:
                state[idx] = self._effect_code(idx, effect, item.state, stage, move)
            waived = item.waived
            softs = self.softs_of.get((a, key))
            if softs:
                waived = list(waived)
                for k, condition in softs:
                    if not self._holds(condition, item.state):
                        waived[k] += 1
                waived = tuple(waived)
            observed = list(item.observed)
            for i in observers:
                observed[i] = extend(observed[i], key)
            observed[a] = extend(observed[a], offered)
            next_pos = len(self.v.steps) if move.end else step_index + 1
            children.append((_Pending(-1, next_pos, state, tuple(observed), waived), move.name, (-1, -1)))
        return children

    def _chance(self, item: _Pending, step_index: int) -> list:
        event = self.v.steps[step_index]
        observers = self.observers[step_index]
        self.kind.append(CHANCE)
        self.player.append(-1)
        self.keys.append(("chance", step_index))
        var = self.var_index[event.name]
        extend = self.histories.extend
        children = []
        for o, outcome in enumerate(event.outcomes):
            state = item.state.copy()
            state[var] = o + 1
            observed = list(item.observed)
            for i in observers:
                observed[i] = extend(observed[i], (event.name, outcome))
            child = _Pending(-1, step_index + 1, state, tuple(observed), item.waived)
            children.append((child, outcome, (step_index, o)))
        return children

    # ------------------------------------------------------------------ expressions
    def _value(self, expr: Expression, state: np.ndarray) -> Any:
        """An expression's value in a state, cached by the codes of the variables it reads."""
        indices = self._reads.get(id(expr))
        if indices is None:
            indices = self._reads[id(expr)] = tuple(self.var_index[n] for n in expr.names)
        key = (id(expr), tuple(state[list(indices)].tolist()))
        found = self._values.get(key, _MISSING)
        if found is _MISSING:
            env = {}
            for i in indices:
                var = self.variables[self.var_names[i]]
                env[var.name] = var.env_values(np.asarray(int(state[i])))
            found = self._values[key] = expr.evaluate(env)
        return found

    def _holds(self, expr: Expression, state: np.ndarray) -> bool:
        return bool(self._value(expr, state))

    def _effect_code(self, idx: int, effect: int | Expression, state: np.ndarray, stage: Stage, move: Move) -> int:
        if isinstance(effect, int):
            return effect
        return self._evaluate_effect(idx, effect, state, stage, move)

    def _evaluate_effect(self, idx: int, effect: Expression, state: np.ndarray, stage: Stage, move: Move) -> int:
        var = self.variables[self.var_names[idx]]
        value = float(self._value(effect, state))
        if var.kind == "boolean":
            return int(bool(value))
        for i, v in enumerate(var.values):
            if float(v) == value:
                return i
        neg = self.v.negotiation
        k = [s.name for s in neg.stages].index(stage.name)
        j = [m.name for m in stage.moves].index(move.name)
        raise ScenarioError(
            f"move {move.name!r} sets {var.name} to {value:g}, which is not one of its values {list(var.values)}",
            key=f"stages[{k}].moves[{j}].set.{var.name}",
        )

    # ------------------------------------------------------------------ the result
    def _finish(self) -> EnumeratedTree:
        infoset, decisions, chance_steps = self._number_infosets()
        return EnumeratedTree(
            parent=_readonly(np.array(self.parent, np.int64)),
            kind=_readonly(np.array(self.kind, np.int8)),
            player=_readonly(np.array(self.player, np.int64)),
            infoset=_readonly(infoset),
            step=_readonly(np.array(self.step_of, np.int64)),
            labels=tuple(self.labels),
            edge_outcome=_readonly(np.array(self.edge_outcome, np.int64)),
            node_codes=_readonly(self.node_states.array()),
            terminal_codes=_readonly(self.terminal_states.array()),
            waivers=_readonly(
                np.array(self.terminal_waivers, np.float64).reshape(len(self.terminal_waivers), len(self.v.softs))
            ),
            infosets=self._decision_table(decisions),
            chance_infosets=Infosets(
                player=[-1] * len(chance_steps),
                number=list(range(1, len(chance_steps) + 1)),
                labels=[self.v.steps[s].name for s in chance_steps],
                actions=[tuple(self.v.steps[s].outcomes) for s in chance_steps],
            ),
            infoset_keys=tuple((a, stage, self.histories.items(h), moves) for a, stage, h, moves in decisions),
            notes=self.notes,
            blocked=self.blocked,
        )

    def _number_infosets(self) -> tuple[np.ndarray, list[tuple[int, str, int, tuple[str, ...]]], list[int]]:
        """Per-node information set indices: per agent in order of first appearance, agents in order."""
        n_agents = len(self.v.negotiation.agents)
        per_agent: list[dict[Any, int]] = [{} for _ in range(n_agents)]
        chance_sets: dict[int, int] = {}
        for key in self.keys:
            if key is None:
                continue
            if key[0] == "chance":
                chance_sets.setdefault(key[1], len(chance_sets))
            else:
                per_agent[key[0]].setdefault(key, len(per_agent[key[0]]))
        offsets = np.concatenate(([0], np.cumsum([len(d) for d in per_agent])))
        infoset = np.full(len(self.keys), -1, np.int64)
        for h, key in enumerate(self.keys):
            if key is None:
                continue
            if key[0] == "chance":
                infoset[h] = chance_sets[key[1]]
            else:
                infoset[h] = offsets[key[0]] + per_agent[key[0]][key]
        decisions = [key for table in per_agent for key in table]
        return infoset, decisions, sorted(chance_sets, key=chance_sets.get)

    def _decision_table(self, decisions: list[tuple[int, str, int, tuple[str, ...]]]) -> Infosets:
        """The table of decision information sets, labelled by stage and what the agent saw."""
        player, number, labels, actions = [], [], [], []
        counts: dict[int, int] = {}
        for a, stage, history, moves in decisions:
            counts[a] = counts.get(a, 0) + 1
            player.append(a)
            number.append(counts[a])
            labels.append(f"{stage} | {self.histories.text(history) or 'start'}")
            actions.append(moves)
        return Infosets(player, number, labels, actions)
