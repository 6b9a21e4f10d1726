"""Orders in: the platforms' APIs (Taobao TOP, JD JOS, PDD, Douyin), pulls and cursors,
export files and their mappings, normalized to :class:`orderhub.model.Order`; and shipping
write-back to the platforms."""
