envoy.config.route.v3.RouteConfiguration

grpc.example.comö
grpc.example.comgrpc.example.comm
<:/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo-
+infra/grpc-infra-backend-v1/8080/4e02c07621Y
(R&$^/gateway_api_conformance\..*/Echo.*-
+infra/grpc-infra-backend-v3/8080/4e02c07621D
R^/[^/]+/EchoTwo-
+infra/grpc-infra-backend-v3/8080/4e02c07621¿
S2
version"twoRA?^/gateway_api_conformance\.echo_basic\.grpcecho\.GrpcEcho(/.*)?hf
1
+infra/grpc-infra-backend-v2/8080/4e02c07621P
1
+infra/grpc-infra-backend-v3/8080/4e02c07621