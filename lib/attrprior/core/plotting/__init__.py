"""Figure helpers shared by papers: boxplots per setting, image grids, mean ± SE lines."""
