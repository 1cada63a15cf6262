"""The pieces of the bundled WET sample's generator (`python -m tools.make_wet_sample`).

- `tables`, `topics` (data): word lists, sentence templates, the articles' topics;
- `sites`: the invented web sites; `text`: filling templates;
- `fates`: the fate C4 gives each line and page, fixed as the page is written;
- `writer`: article shapes, site chrome and URLs; `assembly`: the whole sample, in order;
- `funnel`: the counters a C4 build of the sample must report, from the fates alone.
"""
