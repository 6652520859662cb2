"""The order domain: the Order aggregate, its saga, pricing. Pure: no I/O, time is passed in."""
