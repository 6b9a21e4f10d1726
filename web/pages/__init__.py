"""One route module per console page; :data:`orderhub.web.app.PAGE_MODULES` lists them."""
