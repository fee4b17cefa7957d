"""Models: composition imputation, production and cost models fitted on published studies,
their shared out-of-sample evaluation, screening cash flows (economics), the per-row valuation,
fitting/saving/loading (value_fit), the model card (value_card) and the transparent MCDA lens.

Modules are imported directly (``from geoprospect.model.valuation import value_rows``).
"""
