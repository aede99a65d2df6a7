"""`harness adopt`: scenarios for every alerting rule of a team's own configs, found by search on the real Prometheus."""
