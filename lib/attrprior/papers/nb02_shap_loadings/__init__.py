"""Notebook 02: does SHAP of VAE latents recover sparse loadings (Singh & Shim)?"""
