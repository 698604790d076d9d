// A bare ASP.NET Core API for GET /api/books/{id}: the least code that serves it on this path. Kestrel,
// routing, one MongoClient, the find, the document written out as JSON (the driver's BsonDocument.ToJson).
// No telemetry, middleware, authentication, problem details, ETag or typed contract. The bench measures
// it beside the raw driver and Books.Api, so the gap between raw and Books.Api splits into what a bare
// API on ASP.NET Core pays (bare vs raw) and what Books.Api adds (Books.Api vs bare). Least code is not
// least cost: its JSON path allocates more than Books.Api's source-generated one. Not a product: anything
// it does not find is a 404, and it has no other error handling.
using MongoDB.Bson;
using MongoDB.Driver;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var url = MongoUrl.Create(builder.Configuration.GetConnectionString("booksdb")
    ?? throw new InvalidOperationException("ConnectionStrings:booksdb is not set."));
var client = new MongoClient(url);
var books = client.GetDatabase(url.DatabaseName).GetCollection<BsonDocument>("books");

var app = builder.Build();
app.Lifetime.ApplicationStopped.Register(client.Dispose);
app.MapGet("/api/books/{id}", async (string id, CancellationToken cancellationToken) =>
    ObjectId.TryParse(id, out var objectId)
        && await books.Find(new BsonDocument("_id", objectId)).FirstOrDefaultAsync(cancellationToken) is { } book
            ? Results.Text(book.ToJson(), "application/json")
            : Results.NotFound());
app.MapGet("/alive", () => "Healthy");
app.Run();
