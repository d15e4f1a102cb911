"""`fauxlab demo`: the main job on media fauxlab may ship, written up as one HTML page."""

from fauxlab.demo.run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
