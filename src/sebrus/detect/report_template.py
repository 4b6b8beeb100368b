"""The scan report page's Jinja2 template, kept apart from the code that fills it.

It is rendered with autoescaping on and contains no ``|safe``: report strings come from uploaders. Images
are ``data:`` URIs built from bytes by the renderer, and the CSP below allows nothing else to load.
"""

# No scripts, no fetches, no frames; images only from data: URIs, styles only from the page itself.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'"

REPORT_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SeBRUS scan report</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
         padding: 1rem 1.5rem; color: #1d2330; background: #fafbfc; }
  h1 { margin-bottom: .2rem; }
  h2 { border-bottom: 2px solid #e1e4ea; padding-bottom: .3rem; margin-top: 2rem; }
  .muted { color: #667085; }
  .facts { display: flex; flex-wrap: wrap; gap: .8rem; }
  .fact { background: #fff; border: 1px solid #e1e4ea; border-radius: 8px; padding: .6rem 1rem;
          min-width: 8rem; }
  .fact b { display: block; font-size: 1.5rem; }
  .flagged-count b { color: #d62728; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: .8rem; }
  .grid figure, .cards .card { margin: 0; background: #fff; border: 1px solid #e1e4ea; border-radius: 8px;
                               padding: .5rem; }
  figure img, .wide img { max-width: 100%; height: auto; display: block; }
  figcaption { font-size: .85rem; color: #667085; overflow-wrap: anywhere; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: .8rem; }
  .card .thumb { width: 100%; aspect-ratio: 1; object-fit: contain; image-rendering: pixelated;
                 background: #eef0f4; border-radius: 4px; }
  .card .nothumb { width: 100%; aspect-ratio: 1; display: flex; align-items: center; justify-content: center;
                   background: #eef0f4; border-radius: 4px; color: #667085; }
  .card .path { font-family: ui-monospace, monospace; font-size: .8rem; overflow-wrap: anywhere; }
  .card ul { padding-left: 1.1rem; margin: .3rem 0; font-size: .85rem; }
  .score { font-variant-numeric: tabular-nums; font-weight: 600; }
  table { border-collapse: collapse; background: #fff; }
  td, th { border: 1px solid #e1e4ea; padding: .25rem .6rem; text-align: left; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>Poison scan report</h1>
<p class="muted">Self-contained page: every figure is embedded, nothing is loaded from the network.</p>

<section id="summary">
<h2>Summary</h2>
<div class="facts">
  <div class="fact">items<b>{{ view.n_items }}</b></div>
  <div class="fact flagged-count">flagged<b>{{ view.n_flagged }}</b></div>
  <div class="fact">threshold<b>{{ view.threshold | num }}</b></div>
  <div class="fact">contributors<b>{{ view.n_contributors }}</b></div>
  <div class="fact">contributors flagged<b>{{ view.flagged_contributors | length }}</b></div>
</div>
{% if view.operating_point %}<p id="operating-point">{{ view.operating_point }}</p>{% endif %}
{% if view.trusted_message %}<p id="trusted-use">{{ view.trusted_message }}</p>{% endif %}
{% if view.detectors %}
<p>Detectors: {{ view.detectors | join(", ") }}</p>
{% endif %}
{% if view.extra_summary %}
<table>
  {% for key, value in view.extra_summary %}
  <tr><th>{{ key }}</th><td>{{ value }}</td></tr>
  {% endfor %}
</table>
{% endif %}
</section>

<section id="clusters">
<h2>Activation clusters per class</h2>
<p class="muted">Each item's hidden-layer activations projected to 2-D; flagged items are red crosses.
A backdoor often shows as a tight separate clump inside one class.</p>
{% if view.class_plots %}
<div class="grid">
  {% for label, uri in view.class_plots %}
  <figure>
    <img src="{{ uri }}" alt="activation clusters for class {{ label }}">
    <figcaption>class {{ label }}</figcaption>
  </figure>
  {% endfor %}
</div>
{% else %}
<p>No item in this report carries a 2-D embedding.</p>
{% endif %}
</section>

<section id="suspicion">
<h2>Suspicion scores</h2>
{% if view.histogram_uri %}
<div class="wide">
  <img src="{{ view.histogram_uri }}" alt="histogram of suspicion scores with the flagging threshold">
</div>
{% else %}
<p>No item in this report has a suspicion score.</p>
{% endif %}
</section>

<section id="contributors">
<h2>Contributors</h2>
{% if view.contributors_uri %}
<div class="wide">
  <img src="{{ view.contributors_uri }}" alt="contributor scores; flagged ones red, hatched, labelled">
</div>
{% else %}
<p>No contributor scores in this report.</p>
{% endif %}
{% if view.flagged_contributors %}
<p>Flagged contributors:</p>
<table>
  <tr><th>contributor</th><th>score</th></tr>
  {% for row in view.flagged_contributors %}
  <tr><td>{{ row.id }}</td><td class="score">{{ row.score | num }}</td></tr>
  {% endfor %}
</table>
{% endif %}
</section>

<section id="flagged">
<h2>Most suspicious flagged items</h2>
{% if view.cards %}
<div class="cards">
  {% for card in view.cards %}
  <div class="card">
    {% if card.thumbnail_uri %}
    <img class="thumb" src="{{ card.thumbnail_uri }}" alt="{{ card.path }}">
    {% else %}
    <div class="nothumb">no thumbnail</div>
    {% endif %}
    <div class="path">{{ card.path }}</div>
    <div>label <b>{{ card.label }}</b> &middot;
      suspicion <span class="score">{{ card.suspicion | num }}</span></div>
    {% if card.reasons %}
    <ul>
      {% for reason in card.reasons %}
      <li>{% if reason.detector %}<b>{{ reason.detector }}</b> {% endif %}
        {% if reason.score is not none %}<span class="score">{{ reason.score | num }}</span>{% endif %}
        {% if reason.detail %} {{ reason.detail }}{% endif %}</li>
      {% endfor %}
    </ul>
    {% endif %}
  </div>
  {% endfor %}
</div>
{% if view.n_flagged_not_shown %}
<p class="muted">{{ view.n_flagged_not_shown }} more flagged items are in the JSON report.</p>
{% endif %}
{% else %}
<p>Nothing was flagged.</p>
{% endif %}
</section>
</body>
</html>
"""
