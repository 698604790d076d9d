using Microsoft.Extensions.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

var mongo = builder.AddMongoDB("mongo")
    .WithDataVolume();

var booksdb = mongo.AddDatabase("booksdb");

// Development tokens are signed with this generated key; production points books-api at an identity provider.
var signingKey = builder.AddParameter("books-api-signing-key",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);

builder.AddProject<Projects.Books_Api>("books-api")
    .WithReference(booksdb).WaitFor(booksdb)
    .WithEnvironment("Books__Auth__SigningKey", signingKey)
    .WithHttpHealthCheck("/health")
    .WithBooksAdminCommands(signingKey, builder.Environment.IsDevelopment())
    .WithApiReferenceLinks(builder.Environment.IsDevelopment());

builder.Build().Run();
