"""Electronic waybills (电子面单) and printing, by wave.

Take numbers from each platform's waybill system (Cainiao for Taobao/Tmall orders, PDD, JD 无界,
Douyin) through one :class:`~.providers.base.Provider` interface, print them through the
platform's local print component (:mod:`.component`) or as orderhub-rendered PDF labels
(:mod:`.labels`), and do it a wave at a time with the pick list and packing slips
(:mod:`.waves`, :mod:`.service`).  Guide: docs/waybills.md.

This module stays import-light: ``config.py`` imports :mod:`.config` at every start.
"""
