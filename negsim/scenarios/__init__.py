"""Scenario files: the TOML schema, a loader with precise errors, bundled-scenario lookup."""

from negsim.scenarios.loader import Scenario, bundled_scenarios, load_scenario, parse_scenario, scenario_path

__all__ = ["Scenario", "bundled_scenarios", "load_scenario", "parse_scenario", "scenario_path"]
