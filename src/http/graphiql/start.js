// Starts GraphiQL on this server's /graphql: queries and mutations over
// HTTP POST, subscriptions over a graphql-transport-ws websocket on the same
// path. The Headers tab's JSON goes with both: as HTTP headers, and as the
// websocket's connection_init payload (the server reads `Authorization` there).
(function () {
  "use strict";
  var endpoint = new URL("/graphql", window.location.href);
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: socket.href });
  var e = React.createElement;

  // A new tab starts with the headers last edited (a token, typically)
  // rather than none: GraphiQL gives a new tab its `defaultHeaders`.
  function App() {
    var state = React.useState(undefined);
    return e(GraphiQL, {
      fetcher: fetcher,
      defaultHeaders: state[0],
      onEditHeaders: state[1],
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(e(App));
})();
