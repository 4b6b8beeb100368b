"""Page renderers several routes share (a route that re-renders a page after a form); routes import
these, never each other."""
