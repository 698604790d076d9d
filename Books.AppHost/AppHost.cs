using Books.AppHost;
using Books.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

var booksdb = BooksDatabase.Add(builder);
var identity = builder.AddBooksIdentity(); // run mode only: a deployment trusts its own provider

builder.AddProject<Projects.Books_Api>("books-api")
    .WithReplicas(builder.Configuration.GetValue("BooksApi:Replicas", 1))
    .WithReference(booksdb).WaitFor(booksdb)
    .WithHttpHealthCheck("/health")
    .WithoutDeveloperCertificate()
    .WithBearerTokenValidation(identity)
    .WithAllowedHosts()
    .WithApiReferenceLinks(builder.Environment.IsDevelopment());

builder.Build().Run();
