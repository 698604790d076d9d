using Microsoft.Extensions.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

var mongo = builder.AddMongoDB("mongo")
    .WithDataVolume();

var booksdb = mongo.AddDatabase("booksdb");

builder.AddProject<Projects.Books_Api>("books-api")
    .WithReference(booksdb).WaitFor(booksdb)
    .WithHttpHealthCheck("/health")
    .WithBooksAdminCommands(builder.Environment.IsDevelopment());

builder.Build().Run();
