import os

import chromadb
import openai
import tiktoken
from langchain.chains import RetrievalQA
from langchain.text_splitter import RecursiveCharacterTextSplitter
from langchain_community.vectorstores import Chroma
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

os.environ["LANGCHAIN_WANDB_TRACING"] = "true"
openai.api_key = os.environ["OPENAI_API_KEY"]
enc = tiktoken.get_encoding("cl100k_base")
splitter = RecursiveCharacterTextSplitter(chunk_size=800, chunk_overlap=80, length_function=lambda t: len(enc.encode(t)))
docs = splitter.create_documents([open("handbook.md").read()])
store = Chroma.from_documents(docs, OpenAIEmbeddings(), client=chromadb.PersistentClient(path="db"))
qa = RetrievalQA.from_chain_type(llm=ChatOpenAI(model="gpt-3.5-turbo"), retriever=store.as_retriever())
print(qa.run("How many vacation days do I have?"))
