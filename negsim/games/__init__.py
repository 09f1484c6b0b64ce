"""Game data model: normal-form and extensive-form games, builders, conversions."""

from negsim.games.builder import GameBuilder, Node, game_from_tree
from negsim.games.convert import reduced_normal_form
from negsim.games.extensive import (
    CHANCE,
    DECISION,
    TERMINAL,
    ExtensiveFormGame,
    Infosets,
    SequenceForm,
)
from negsim.games.normal import NormalFormGame
from negsim.games.profile import BehaviorProfile, MixedProfile

__all__ = [
    "BehaviorProfile",
    "MixedProfile",
    "CHANCE",
    "DECISION",
    "TERMINAL",
    "ExtensiveFormGame",
    "GameBuilder",
    "Infosets",
    "Node",
    "NormalFormGame",
    "SequenceForm",
    "game_from_tree",
    "reduced_normal_form",
]
