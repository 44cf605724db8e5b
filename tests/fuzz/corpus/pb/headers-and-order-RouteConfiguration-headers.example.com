envoy.config.route.v3.RouteConfiguration

headers.example.comÕ
headers.example.comheaders.example.comµ
•/healthz2(

user-agentZ.*[Pp][Rr][Oo][Bb][Ee].*2
x-env"prod@2
x-idZ^[a-f0-9]+$2
x-team@Z	.*ops.*2 
x-modeZ[Dd][Ee][Bb][Uu][Gg]
default/svc/80/ef46db37512
R^/v[0-9]+/items
default/svc/80/ef46db3751,
R	^/v[0-9]+
default/svc/80/ef46db3751D
%
/api2
	x-present82
x-absent8@
default/svc/80/ef46db3751%

/api
default/svc/80/ef46db3751"

/
default/svc/80/ef46db3751