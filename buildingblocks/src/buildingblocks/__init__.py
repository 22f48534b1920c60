"""Building blocks shared by the three services (the eShopOnContainers idea: written once)."""
