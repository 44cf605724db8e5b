envoy.config.route.v3.RouteConfiguration

split.example.com´
split.example.comsplit.example.comG

	/weighted86

web/a/80/ef46db3751P

web/b/80/ef46db3751C

/even86

web/a/80/ef46db3751

web/b/80/ef46db3751