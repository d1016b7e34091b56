"""pouchline: lab-to-factory planner for the InSnBi || Li6PS5Cl || LiCoO2 all-solid-state pouch cell."""

__version__ = "0.1.0"
