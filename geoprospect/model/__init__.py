"""Models: the estimator and its persistence, prediction, fitting, evaluation and model card,
the compiled predictor and its cache, the transparent MCDA view and Monte Carlo bands.

Modules are imported directly (``from geoprospect.model.predict import score_features``) so
that importing this package stays cheap.
"""
